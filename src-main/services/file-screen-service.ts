import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../src-shared/errors';
import type { Progress } from '../../src-shared/progress';
import { type ClusterScreen, writeK8s, writeSlurm } from '../screen/cluster-jobs';
import { type FileScreenRequest, type FileScreenSummary, describeInputs, screenFiles } from '../screen/file-screen';
import { BUNDLE_FILE, readBundle, writeBundle } from '../screen/model-bundle';
import { type MergeSummary, mergeShards } from '../screen/screen-merge';
import type { ScoringSpec } from '../train/predict-types';
import type { ModelRegistry } from './models';

// For the CLI, which starts a screen's threads with it.
export { SCREEN_SEMI_SPACE_MB } from '../screen/file-screen';

/**
 * Screens of files that are never imported (screen/file-screen.ts): in one process, as shards, merged, or
 * as a scheduler's jobs. The database is opened (`registry`) only to freeze the models into the output
 * folder on a first start; shards on a cluster read the frozen models and never touch it.
 */
export interface FileScreenHooks {
  /** The model registry, opened on demand. */
  registry: () => Promise<ModelRegistry>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Something the user should know (e.g. which models were taken when none was named). */
  onNotice?: (s: string) => void;
}

/** The named models, or the shipped task models when none is named. */
async function specsOf(names: string[], hooks: FileScreenHooks): Promise<ScoringSpec[]> {
  const registry = await hooks.registry();
  let use = names;
  if (use.length === 0) {
    use = registry.defaultScreenModels();
    if (use.length === 0)
      throw new AppError('INVALID_INPUT', 'name the models to screen with: no shipped task model is registered (train one)', { remedy: 'train' });
    hooks.onNotice?.(`no model named: screening with the shipped task models ${use.join(', ')}`);
  }
  return use.map((m) => registry.scoringSpec(m));
}

export function screenFile(req: FileScreenRequest, hooks: FileScreenHooks): Promise<FileScreenSummary> {
  return screenFiles(req, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    resolveModels: (names) => specsOf(names, hooks),
  });
}

export function mergeScreen(dirs: string[], opts: { out?: string; top?: number } = {}): Promise<MergeSummary> {
  return mergeShards(dirs, opts);
}

export interface ClusterJobs {
  scheduler: 'slurm' | 'kubernetes';
  models: string[];
  screen: string;
  merge: string;
  submit: string;
}

/**
 * Writes a scheduler's jobs for a file screen in `spec.shards` shards (Slurm: a job array and a dependent
 * merge; Kubernetes: an Indexed Job and a merge Job), after freezing the models into the output folder so
 * the shards need no database. A folder that already holds frozen models keeps them (same names only).
 */
export async function prepareClusterScreen(
  scheduler: 'slurm' | 'kubernetes',
  spec: Omit<ClusterScreen, 'models'> & { models: string[] },
  hooks: Pick<FileScreenHooks, 'registry' | 'onNotice'> & { image?: string },
): Promise<ClusterJobs> {
  // The same checks a shard makes, before any job is written.
  await describeInputs(spec.files);
  await mkdir(spec.out, { recursive: true });
  const bundle = join(spec.out, BUNDLE_FILE);
  const frozen = existsSync(bundle) ? await readBundle(bundle) : await writeBundle(bundle, await specsOf(spec.models, hooks));
  const models = frozen.models.map((m) => m.name);
  if (spec.models.length && spec.models.join(',') !== models.join(','))
    throw new AppError(
      'CONFLICT',
      `${spec.out} holds a screen with ${models.join(', ')}, not ${spec.models.join(', ')}: give another --out folder, or the same models`,
    );
  const c = { ...spec, models };
  const paths = scheduler === 'slurm' ? await writeSlurm(c) : await writeK8s(c, hooks.image ?? 'delicate:latest');
  return { scheduler, models, ...paths };
}
