// `npm run bench -- cli [--runs N]`: wall time of `delicate --help` and `delicate libraries --json` through
// bin/delicate.mjs, the built CLI (out/main/cli.js, `npm run build` first) against the TypeScript sources
// through tsx, alternated in one run (on an idle machine). Writes bench/results/cli.{json,md}.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCliIsFresh } from '../bin/built-cli.mjs';
import { median, report } from './_report';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

export async function run(args: string[]): Promise<void> {
  if (!builtCliIsFresh()) throw new Error('out/main/cli.js is missing or older than the sources: run `npm run build` first');
  const runs = Number(option(args, '--runs', '10'));
  const dir = mkdtempSync(join(tmpdir(), 'delicate-cli-bench-'));
  const commands = [['--help'], ['libraries', '--json', '--db', join(dir, 'b.db')]];
  // 'built' runs the built CLI whatever this shell says (DELICATE_CLI=sources would time the sources twice).
  const { DELICATE_CLI: _sources, ...inherited } = process.env;
  const times: Record<string, number[]> = {};
  try {
    for (let i = 0; i < runs; i++) {
      for (const argv of commands) {
        for (const mode of ['built', 'sources']) {
          const t0 = performance.now();
          const r = spawnSync(process.execPath, [join(root, 'bin/delicate.mjs'), ...argv], {
            env: { ...inherited, ...(mode === 'sources' ? { DELICATE_CLI: 'sources' } : {}) },
            stdio: 'ignore',
          });
          const s = (performance.now() - t0) / 1000;
          if (r.status !== 0 && argv[0] !== '--help') throw new Error(`delicate ${argv.join(' ')} (${mode}) exited ${r.status}`);
          (times[`${argv[0]} ${mode}`] ??= []).push(s);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = commands.map((argv) => {
    const b = median(times[`${argv[0]} built`] as number[]);
    const t = median(times[`${argv[0]} sources`] as number[]);
    return [`delicate ${argv[0]}`, b.toFixed(3), t.toFixed(3), (t / b).toFixed(2)];
  });
  report(
    'cli',
    { runs, times },
    [['command', 'built CLI (s, median)', 'sources via tsx (s, median)', 'speed-up'], ...rows],
    [
      `${runs} runs of each, alternated. The built CLI is used when out/main/cli.js is newer than every source file. \`--help\` and usage errors load no service; a command loads the services it runs (and with them TF.js, ONNX Runtime, RDKit and SQLite), which is most of \`libraries\`' time.`,
    ],
  );
}
