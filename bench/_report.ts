import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** The machine a result was measured on, stored with every result. */
export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Writes bench/results/NAME.json and NAME.md (a short table) and prints the table. */
export function report(name: string, data: Record<string, unknown>, table: string[][], notes: string[] = []): void {
  mkdirSync(resultsDir, { recursive: true });
  const m = machine();
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify({ benchmark: name, machine: m, ...data }, null, 2)}\n`);
  const [head, ...rows] = table;
  const md = [
    `# Benchmark: ${name}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ${m.date}`,
    '',
    `| ${(head ?? []).join(' | ')} |`,
    `| ${(head ?? []).map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...notes,
    '',
  ].join('\n');
  writeFileSync(join(resultsDir, `${name}.md`), md);
  process.stdout.write(`${md}\n`);
}

/** Seconds per call of fn: one warm-up call, then repeated for at least minSeconds and twice. */
export async function timeIt(fn: () => Promise<void>, minSeconds: number): Promise<number> {
  await fn();
  let n = 0;
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < minSeconds || n < 2) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}
