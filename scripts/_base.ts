// What scripts/train-base.ts and its model cards share: the paths and reading a stored base model.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src-main/cli/main';
import type { EncoderConfig } from '../src-main/model/encoder';
import type { TokenizerJson } from '../src-main/model/tokenizer';
import { AppContext } from '../src-main/services/app-context';
import { BASE_SHARED_TEACHER, BASE_STUDENT, BASE_TEACHER } from '../src-main/services/models';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BASE_MODELS = [BASE_TEACHER, BASE_SHARED_TEACHER, BASE_STUDENT];
export const data = resolve(root, '../shared/data');
export const corpus = join(data, 'pretrain/chembl31_150k.csv.gz');
export const out = join(root, 'resources/models');

/** Runs a `delicate` command in-process; throws on a non-zero exit. */
export async function delicate(...argv: string[]): Promise<string> {
  let stdout = '';
  const code = await main(argv, { out: (s) => (stdout += s), err: (s) => process.stderr.write(s), isTTY: false });
  if (code !== 0) throw new Error(`delicate ${argv.join(' ')} exited with ${code}`);
  return stdout;
}

/** A model of the database: finished, still training (resumable) or absent. */
export function stateOf(db: string, name: string): 'ready' | 'training' | 'absent' {
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    const m = app.models.list().find((x) => x.name === name);
    return m?.state === 'ready' ? 'ready' : m ? 'training' : 'absent';
  } finally {
    void app.close();
  }
}

export interface Stored {
  name: string;
  kind: string;
  params: number;
  steps: number;
  metrics: Record<string, number | null>;
  parent: string[];
  manifest: {
    config: EncoderConfig;
    tokenizer: TokenizerJson;
    training: {
      kind: string;
      settings: { batch: number; lr: number; maxSteps: number | null; init?: string; distill?: { init?: string } };
      corpus: { file: string; sha256: string; molecules: number; used: number; heldOut: number };
      teacher?: string;
      layerMap?: number[];
    };
  };
  weights: Uint8Array;
}

export function stored(app: AppContext, name: string): Stored {
  const row = app.models.repo.byName(name);
  const weights = row ? app.models.repo.weights(row.id) : null;
  if (!row || !weights) throw new Error(`model ${name} is missing`);
  const s = app.models.get(name);
  return {
    name,
    kind: row.kind,
    params: row.params,
    steps: row.steps,
    metrics: s.metrics,
    parent: s.parent,
    manifest: JSON.parse(row.manifest) as Stored['manifest'],
    weights: new Uint8Array(weights),
  };
}
