import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main';
import { AppContext } from '../services/app-context';
import { corpusSlice, registerTinyTaskModel, tempDir } from '../test/helpers';
import { scoreRows, unreadableRows } from '../test/screen-files';
import { type SlurmCluster, slurmUnavailable, startSlurm } from '../test/slurm-cluster';

const tmp = tempDir('delicate-slurm-');
const why = slurmUnavailable();
if (why) process.stderr.write(`skipped: the Slurm test needs a single-node cluster it can start: ${why}\n`);
let cluster: SlurmCluster | null = null;

afterAll(async () => {
  await cluster?.stop();
  tmp.cleanup();
}, 30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const db = join(tmp.dir, 'models.db');
const file = join(tmp.dir, 'library.smi');
const small = join(tmp.dir, 'small.smi');

beforeAll(async () => {
  const smiles = corpusSlice(20_000);
  const app = new AppContext(db, { chemWorkers: 1, shippedModels: false });
  try {
    await registerTinyTaskModel(app.db, 'tiny', { vocab: smiles.slice(0, 2000), domain: smiles.slice(0, 50), seed: 3 });
    await registerTinyTaskModel(app.db, 'other', { vocab: smiles.slice(0, 2000), domain: smiles.slice(0, 50), seed: 4 });
  } finally {
    await app.close();
  }
  writeFileSync(file, `${smiles.map((s, i) => `${s} Z${i}`).join('\n')}\nnot-a-smiles Zbad\n`);
  writeFileSync(
    small,
    `${smiles
      .slice(0, 300)
      .map((s, i) => `${s} S${i}`)
      .join('\n')}\n`,
  );
}, 120_000);

/** Runs the CLI in this process; returns its exit code, stdout (parsed when JSON) and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string; json: Record<string, unknown> | null }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(out) as Record<string, unknown>;
  } catch {
    // human output
  }
  return { code, out, err, json };
}

describe('delicate screen --file … --out DIR', () => {
  it('screens a file without importing it, in one process or as shards merged by `screen merge`', async () => {
    const one = await cli(['screen', '--file', small, '--model', 'tiny', '--out', join(tmp.dir, 'one'), '--top', '5', '--db', db, '--json']);
    expect(one.code).toBe(0);
    expect(one.json).toMatchObject({ state: 'complete', read: 300, taken: 300, unreadable: 0, scored: { tiny: 300 }, merged: { top: 5, shards: 1 } });
    for (const i of [0, 1]) {
      // No --model and no --db: the shards read the models frozen in the folder by the first one.
      const args = ['screen', '--file', small, '--out', join(tmp.dir, 'two'), '--top', '5', '--shard', `${i}/2`, '--json'];
      const r = await cli(i === 0 ? [...args, '--model', 'tiny', '--db', db] : args);
      expect(r.code, r.err).toBe(0);
      expect(r.json).toMatchObject({ state: 'complete', taken: 150, merged: null });
    }
    const m = await cli(['screen', 'merge', join(tmp.dir, 'two')]);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/2 shards merged: 300 of 300 records: 300 scored by tiny; 0 unreadable/);
    expect(readFileSync(join(tmp.dir, 'two', 'top.csv'), 'utf8')).toBe(readFileSync(join(tmp.dir, 'one', 'top.csv'), 'utf8'));
    // The same folder with other models is refused, naming what it holds.
    const other = await cli(['screen', '--file', small, '--model', 'other', '--out', join(tmp.dir, 'one'), '--top', '5', '--db', db]);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/holds a screen with tiny, not other/);
  }, 180_000);

  it('writes a Kubernetes Indexed Job and refuses what cannot be a file screen', async () => {
    const k = await cli([
      'screen',
      '--file',
      small,
      '--model',
      'tiny',
      '--out',
      join(tmp.dir, 'k8s'),
      '--k8s',
      '3',
      '--image',
      'registry.lab/delicate:1',
      '--db',
      db,
      '--json',
    ]);
    expect(k.code, k.err).toBe(0);
    const job = JSON.parse(readFileSync(join(tmp.dir, 'k8s', 'screen-job.yaml'), 'utf8')) as {
      spec: {
        completionMode: string;
        completions: number;
        template: { spec: { containers: Array<{ image: string; command: string[]; env?: Array<{ name: string; value: string }> }> } };
      };
    };
    expect([job.spec.completionMode, job.spec.completions]).toEqual(['Indexed', 3]);
    const container = job.spec.template.spec.containers[0];
    expect(container?.image).toBe('registry.lab/delicate:1');
    expect(container?.command[2]).toContain('--shard "${JOB_COMPLETION_INDEX}/3"');
    // Node starts every thread with a bounded young generation (flat memory over a long file), glibc with one arena.
    expect(container?.env).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' },
      { name: 'MALLOC_ARENA_MAX', value: '1' },
    ]);
    expect(readFileSync(join(tmp.dir, 'k8s', 'submit-k8s.sh'), 'utf8')).toMatch(/kubectl wait --for=condition=complete/);
    for (const [args, message] of [
      [['--shard', '2/2', '--out', join(tmp.dir, 'x')], /--shard must be i\/N/],
      [['--library', 'lib', '--out', join(tmp.dir, 'x')], /no --library/],
      [['--slurm', '2', '--k8s', '2', '--out', join(tmp.dir, 'x')], /one of --shard, --slurm and --k8s/],
      [['--shard', '0/2'], /give --out DIR/],
      [['--out', join(tmp.dir, 'x'), '--min-score', '5'], /--min-score: for a screen of a library/],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(['screen', '--file', small, ...args, '--db', db]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect((await cli(['screen', 'merge'])).code).toBe(2);
  }, 120_000);
});

/** The 20k-molecule file screened in one process (once, by whichever test needs it first): the reference folder. */
let single: Promise<string> | null = null;
function reference(): Promise<string> {
  single ??= (async () => {
    const dir = join(tmp.dir, 'single');
    const r = await cli(['screen', '--file', file, '--model', 'tiny', '--out', dir, '--top', '50', '--db', db, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.json).toMatchObject({ read: 20_001, taken: 20_001, unreadable: 1 });
    // A few molecules hold a token the tiny model's vocabulary (from 2,000 of them) lacks: rows with a note.
    expect((r.json?.scored as { tiny: number }).tiny).toBeGreaterThan(19_900);
    return dir;
  })();
  return single;
}

describe('a file screen killed', () => {
  it('continues from its last commit after SIGKILL, to the scores of an uninterrupted run', async () => {
    const ref = await reference();
    const dir = join(tmp.dir, 'killed');
    mkdirSync(dir);
    copyFileSync(join(ref, 'models.json.gz'), join(dir, 'models.json.gz'));
    const bin = join(import.meta.dirname, '../../bin/delicate.mjs');
    const child = spawn(process.execPath, [bin, 'screen', '--file', file, '--out', dir, '--top', '50', '--json'], { stdio: 'ignore' });
    const state = join(dir, 'shard-0-of-1.json');
    const committed = () => (existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { state: string; progress: { nextRecord: number } }) : null);
    for (let waited = 0; (committed()?.progress.nextRecord ?? 0) === 0; waited += 100) {
      if (waited > 180_000 || child.exitCode !== null) throw new Error(`no commit to kill after (exit ${child.exitCode})`);
      await sleep(100);
    }
    child.kill('SIGKILL');
    await once(child, 'exit');
    const at = committed();
    expect(at?.state).toBe('running');
    expect(at?.progress.nextRecord).toBeLessThan(20_001);
    const r = await cli(['screen', '--file', file, '--out', dir, '--top', '50', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.json).toMatchObject({ state: 'complete', resumed: true, read: 20_001, taken: 20_001, unreadable: 1 });
    expect(scoreRows(dir)).toEqual(scoreRows(ref));
    expect(unreadableRows(dir)).toEqual(unreadableRows(ref));
    expect(readFileSync(join(dir, 'top.csv'), 'utf8')).toBe(readFileSync(join(ref, 'top.csv'), 'utf8'));
  }, 300_000);
});

describe('a file screen on a real Slurm cluster', () => {
  it.skipIf(why !== null)(
    'runs 4 shards as a job array and the merge as a dependent job, equal to one process',
    async () => {
      const out = join(tmp.dir, 'cluster');
      const args = ['screen', '--file', file, '--model', 'tiny', '--out', out, '--top', '50', '--slurm', '4', '--cpus', '1', '--mem', '1', '--db', db];
      expect((await cli(args)).code).toBe(0);
      const script = readFileSync(join(out, 'screen.sbatch'), 'utf8');
      expect(script).toContain('#SBATCH --array=0-3');
      expect(script).toContain('--shard "${SLURM_ARRAY_TASK_ID}/4"');
      // Every thread of a shard with a bounded young generation (the jobs below run with it).
      expect(script).toContain('export NODE_OPTIONS="--max-semi-space-size=4${NODE_OPTIONS:+ $NODE_OPTIONS}"');
      expect(script).toContain('export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"');
      cluster = await startSlurm(join(tmp.dir, 'slurm'));
      // The shards and the merge run the CLI from this checkout, with this Node, as scheduled jobs.
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, SLURM_CONF: cluster.env.SLURM_CONF };
      const said = execFileSync(join(out, 'submit.sh'), { env }).toString();
      expect(said).toMatch(/shards: job array \d+ \(4 tasks\); merge: job \d+/);

      // Meanwhile, the same screen in one process, as the reference.
      const single = await reference();

      const summary = join(out, 'summary.json');
      for (let waited = 0; !existsSync(summary); waited += 2) {
        if (waited > 480)
          throw new Error(
            `the merge did not finish in 8 minutes\n${readdirSync(join(out, 'logs'))
              .map((f) => `--- ${f}\n${readFileSync(join(out, 'logs', f), 'utf8')}`)
              .join('\n')}\n${cluster.logs()}`,
          );
        await sleep(2000);
      }
      const merged = JSON.parse(readFileSync(summary, 'utf8')) as {
        shards: number;
        read: number;
        taken: number;
        unreadable: number;
        scored: Record<string, number>;
      };
      expect([merged.shards, merged.read, merged.taken, merged.unreadable]).toEqual([4, 20_001, 20_001, 1]);
      expect(merged.scored).toEqual((JSON.parse(readFileSync(join(single, 'summary.json'), 'utf8')) as { scored: unknown }).scored);
      expect(readdirSync(out).filter((f) => f.startsWith('shard-'))).toHaveLength(4);
      // Every score, and the top K, equal the one-process screen's.
      const rows = scoreRows(out);
      expect(rows.size).toBe(20_000);
      expect(rows).toEqual(scoreRows(single));
      expect(unreadableRows(out)).toEqual(unreadableRows(single));
      expect(readFileSync(join(out, 'top.csv'), 'utf8')).toBe(readFileSync(join(single, 'top.csv'), 'utf8'));
    },
    900_000,
  );
});
