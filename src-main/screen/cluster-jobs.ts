import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCREEN_SEMI_SPACE_MB } from './file-screen';

/** Node's options for a shard: every thread's V8 young generation bounded (see SCREEN_SEMI_SPACE_MB). */
const SCREEN_NODE_OPTIONS = `--max-semi-space-size=${SCREEN_SEMI_SPACE_MB}`;

/**
 * glibc's malloc arenas for a shard: one, shared by its threads, instead of up to eight per core (by default
 * threads that allocate at once get arenas of their own, and what they free stays there). A 100k file
 * screen's peak RSS over seven runs each: 366-403 MiB with one, 424-491 MiB by default, as fast. glibc reads
 * it when a process starts, so the job sets it (the Slurm script keeps a value the job's environment has).
 */
const SCREEN_MALLOC_ARENA_MAX = '1';

/** A file screen split into shards, as the scheduler's jobs run it: the same `delicate screen` on each. */
export interface ClusterScreen {
  /** The command that runs Delicate's CLI on a node (absolute paths: jobs start elsewhere). */
  cli: string[];
  files: string[];
  out: string;
  models: string[];
  top: number;
  shards: number;
  ascending?: boolean;
  engine?: string;
  smilesCol?: string;
  idCol?: string;
  /** CPUs and memory (GiB) per shard. */
  cpus?: number;
  memGiB?: number;
}

/** A word for a POSIX shell, single-quoted unless it is plain. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The shard command's arguments, with the shard index left to the scheduler's variable. */
function screenArgs(c: ClusterScreen, indexVar: string): string[] {
  return [
    'screen',
    '--file',
    c.files.join(','),
    '--model',
    c.models.join(','),
    '--out',
    c.out,
    '--top',
    String(c.top),
    ...(c.ascending ? ['--ascending'] : []),
    ...(c.engine && c.engine !== 'auto' ? ['--engine', c.engine] : []),
    ...(c.smilesCol ? ['--smiles-col', c.smilesCol] : []),
    ...(c.idCol ? ['--id-col', c.idCol] : []),
    '--cpus',
    String(c.cpus ?? 2),
    '--shard',
    `\${${indexVar}}/${c.shards}`,
    '--json',
  ];
}

/** Words joined for a shell line; the `${VAR}/N` shard word stays expandable (double-quoted). */
const line = (words: string[]) => words.map((w) => (w.startsWith('${') ? `"${w}"` : shellWord(w))).join(' ');

/**
 * Writes `screen.sbatch` (a job array, one task per shard, requeued and continued if a node fails),
 * `merge.sbatch` and `submit.sh`, which submits the array and the merge as a job that waits for every
 * shard (`--dependency=afterok`). Returns the paths.
 */
export async function writeSlurm(c: ClusterScreen): Promise<{ screen: string; merge: string; submit: string }> {
  const logs = join(c.out, 'logs');
  await mkdir(logs, { recursive: true });
  const cpus = c.cpus ?? 2;
  const header = (name: string, log: string) => [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --output=${join(logs, log)}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --mem=${c.memGiB ?? 4}G`,
  ];
  const screen = [
    ...header('delicate-screen', 'shard-%a.log'),
    `#SBATCH --array=0-${c.shards - 1}`,
    '#SBATCH --requeue',
    '# Written by `delicate screen … --slurm`: shard $SLURM_ARRAY_TASK_ID of the file screen. A shard that is',
    '# stopped, preempted or requeued continues from its last commit; one that is complete does nothing.',
    'set -euo pipefail',
    "# Every thread's V8 young generation bounded: the shard's memory stays flat over millions of records.",
    `export NODE_OPTIONS="${SCREEN_NODE_OPTIONS}\${NODE_OPTIONS:+ \$NODE_OPTIONS}"`,
    "# One malloc arena for the shard's threads: less memory, and less of it left to chance.",
    `export MALLOC_ARENA_MAX="\${MALLOC_ARENA_MAX:-${SCREEN_MALLOC_ARENA_MAX}}"`,
    `exec ${line([...c.cli, ...screenArgs(c, 'SLURM_ARRAY_TASK_ID')])}`,
    '',
  ].join('\n');
  const merge = [
    ...header('delicate-merge', 'merge.log'),
    '# The global top K and totals of every shard (summary.json, top.csv): runs once the array is done.',
    'set -euo pipefail',
    `exec ${line([...c.cli, 'screen', 'merge', c.out, '--json'])}`,
    '',
  ].join('\n');
  const submit = [
    '#!/bin/sh',
    '# Submits the shards as a job array and the merge as a job that starts when every shard succeeded.',
    'set -eu',
    `cd ${shellWord(c.out)}`,
    'array=$(sbatch --parsable screen.sbatch)',
    'array=${array%%;*}',
    'merge=$(sbatch --parsable --dependency=afterok:"$array" merge.sbatch)',
    'merge=${merge%%;*}',
    `echo "shards: job array $array (${c.shards} tasks); merge: job $merge, once they are done"`,
    '',
  ].join('\n');
  const paths = { screen: join(c.out, 'screen.sbatch'), merge: join(c.out, 'merge.sbatch'), submit: join(c.out, 'submit.sh') };
  await writeFile(paths.screen, screen);
  await writeFile(paths.merge, merge);
  await writeFile(paths.submit, submit);
  for (const p of Object.values(paths)) await chmod(p, 0o755);
  return paths;
}

/**
 * Writes Kubernetes manifests: an Indexed Job of N completions running one shard each
 * ($JOB_COMPLETION_INDEX), the merge Job, and `submit-k8s.sh`, which applies the first, waits for it to
 * complete and applies the second. The manifests are JSON (valid YAML). The container image must hold
 * Delicate and see the input files and the output folder at the same paths (e.g. a shared volume).
 */
export async function writeK8s(c: ClusterScreen, image: string): Promise<{ screen: string; merge: string; submit: string }> {
  const name = `delicate-screen-${Date.now().toString(36)}`;
  const container = (args: string[], env: Array<{ name: string; value: string }> = []) => ({
    name: 'delicate',
    image,
    command: ['/bin/sh', '-c', `exec ${line(args)}`],
    ...(env.length ? { env } : {}),
    resources: { requests: { cpu: String(c.cpus ?? 2), memory: `${c.memGiB ?? 4}Gi` } },
  });
  const job = (jobName: string, spec: Record<string, unknown>, args: string[], env: Array<{ name: string; value: string }> = []) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName, labels: { app: 'delicate', screen: name } },
    spec: {
      ...spec,
      template: { metadata: { labels: { app: 'delicate', screen: name } }, spec: { restartPolicy: 'OnFailure', containers: [container(args, env)] } },
    },
  });
  const screen = job(
    name,
    { completionMode: 'Indexed', completions: c.shards, parallelism: c.shards, backoffLimit: 3 * c.shards },
    [...c.cli, ...screenArgs(c, 'JOB_COMPLETION_INDEX')],
    [
      { name: 'NODE_OPTIONS', value: SCREEN_NODE_OPTIONS },
      { name: 'MALLOC_ARENA_MAX', value: SCREEN_MALLOC_ARENA_MAX },
    ],
  );
  const merge = job(`${name}-merge`, { backoffLimit: 2 }, [...c.cli, 'screen', 'merge', c.out, '--json']);
  const paths = { screen: join(c.out, 'screen-job.yaml'), merge: join(c.out, 'merge-job.yaml'), submit: join(c.out, 'submit-k8s.sh') };
  await mkdir(c.out, { recursive: true });
  await writeFile(paths.screen, `${JSON.stringify(screen, null, 2)}\n`);
  await writeFile(paths.merge, `${JSON.stringify(merge, null, 2)}\n`);
  await writeFile(
    paths.submit,
    [
      '#!/bin/sh',
      '# Runs the shards as an Indexed Job, then the merge once every shard has completed.',
      'set -eu',
      `cd ${shellWord(c.out)}`,
      'kubectl apply -f screen-job.yaml',
      `kubectl wait --for=condition=complete --timeout=-1s job/${name}`,
      'kubectl apply -f merge-job.yaml',
      '',
    ].join('\n'),
  );
  await chmod(paths.submit, 0o755);
  return paths;
}
