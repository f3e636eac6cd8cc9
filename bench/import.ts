import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ChemPool } from '../src-main/chem/chem-pool';
import { MORGAN_JSON, descriptorsOf, loadRdkit } from '../src-main/chem/rdkit';
import { standardise } from '../src-main/chem/standardise';
import { openDatabase } from '../src-main/db/database';
import { importFile } from '../src-main/services/import-service';
import { patternFpOf } from '../src-main/chem/substructure';
import { report } from './_report';

/**
 * Import throughput on the 150k ChEMBL corpus, peak memory at 10k and 150k records, and where the time goes
 * per molecule. An import has two steps: the records (standardisation, InChIKey, Morgan fingerprints, SQLite
 * writes; the library can be used after it) and then the descriptors and pattern fingerprints.
 * Options: --file PATH (default ../shared/data/pretrain/chembl31_150k.csv.gz), --workers N.
 */
export async function run(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const file = resolve(opt('file') ?? '../shared/data/pretrain/chembl31_150k.csv.gz');
  const workers = Number(opt('workers') ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'delicate-bench-'));

  // Per-stage cost, one thread, on the first 2,000 molecules.
  const rd = await loadRdkit();
  const sample: string[] = [];
  const rl = createInterface(createReadStream(file).pipe(createGunzip()));
  for await (const line of rl) {
    if (sample.length > 2000) break;
    sample.push(line.split(',')[0] as string);
  }
  rl.close();
  sample.shift();
  for (const s of sample.slice(0, 200)) standardise(rd, s); // warm-up
  const stage: Record<string, number> = { parse: 0, canonicalSmiles: 0, inchi: 0, inchikey: 0, descriptors: 0, morganFp: 0, patternFp: 0 };
  const t = (k: string, f: () => unknown) => {
    const t0 = performance.now();
    const r = f();
    stage[k] = (stage[k] ?? 0) + performance.now() - t0;
    return r;
  };
  for (const s of sample) {
    const m = t('parse', () => rd.get_mol(s)) as ReturnType<typeof rd.get_mol>;
    if (!m) continue;
    t('canonicalSmiles', () => m.get_smiles());
    const inchi = t('inchi', () => m.get_inchi()) as string;
    t('inchikey', () => rd.get_inchikey_for_inchi(inchi));
    t('descriptors', () => descriptorsOf(m));
    t('morganFp', () => m.get_morgan_fp_as_uint8array(MORGAN_JSON));
    const smiles = m.get_smiles();
    t('patternFp', () => patternFpOf(rd, smiles));
    m.delete();
  }
  const t0 = performance.now();
  for (const s of sample) standardise(rd, s);
  const fullUs = ((performance.now() - t0) / sample.length) * 1000;
  const t1 = performance.now();
  for (const s of sample) standardise(rd, s, true);
  const deferredUs = ((performance.now() - t1) / sample.length) * 1000;
  const perStageUs = Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, Math.round((v / sample.length) * 1000)]));

  // End-to-end imports: a 10k slice and the whole file, each into a fresh database.
  const slice = join(dir, 'slice10k.csv');
  const lines: string[] = [];
  const rl2 = createInterface(createReadStream(file).pipe(createGunzip()));
  for await (const line of rl2) {
    lines.push(line);
    if (lines.length > 10_000) break;
  }
  rl2.close();
  writeFileSync(slice, `${lines.join('\n')}\n`);

  const runs: Array<Record<string, number | string>> = [];
  for (const [label, path] of [
    ['10k', slice],
    ['150k', file],
  ] as const) {
    const chem = new ChemPool(workers);
    const db = openDatabase(join(dir, `${label}.db`));
    let peakRss = process.memoryUsage().rss;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let recordsDone = 0;
    let recordsCpu: NodeJS.CpuUsage | null = null;
    const s = await importFile(db, chem, {
      file: path,
      library: label,
      onProgress: (p) => process.stderr.write(`\r${label}: ${p.read} records, ${Math.round(p.rate)} rec/s   `),
      onDescriptors: (p) => {
        recordsDone ||= performance.now();
        recordsCpu ??= process.cpuUsage(cpuStart);
        process.stderr.write(`\r${label}: descriptors ${p.done}/${p.total}, ${Math.round(p.rate)}/s   `);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const recordsSeconds = ((recordsDone || performance.now()) - start) / 1000;
    const cpu = recordsCpu ?? process.cpuUsage(cpuStart);
    clearInterval(timer);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    process.stderr.write('\n');
    runs.push({
      records: label,
      read: s.read,
      imported: s.imported,
      rejected: s.rejected,
      recordsSeconds: Math.round(recordsSeconds * 10) / 10,
      recordsMolPerSec: Math.round(s.read / recordsSeconds),
      // The cores' time this process (all its threads) had in the records step: below the core count, other
      // work on the machine or waiting.
      recordsCores: Math.round(((cpu.user + cpu.system) / 1e6 / recordsSeconds) * 100) / 100,
      descriptorSeconds: s.descriptors?.seconds ?? 0,
      seconds: Math.round(seconds * 10) / 10,
      molPerSec: Math.round(s.read / seconds),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
    });
    db.close();
    await chem.close();
  }
  rmSync(dir, { recursive: true, force: true });

  const full = runs[1] as Record<string, number>;
  report(
    'import',
    {
      file,
      workers,
      runs,
      perMoleculeUs: { ...perStageUs, standardiseTotal: Math.round(fullUs), standardiseDeferred: Math.round(deferredUs) },
      goalMolPerSec: 2000,
    },
    [
      [
        'records',
        'read',
        'imported',
        'rejected',
        'records s',
        'records mol/s',
        'records step: cores used',
        'descriptors s',
        'total s',
        'total mol/s',
        'peak RSS MiB',
      ],
      ...runs.map((r) =>
        [
          r.records,
          r.read,
          r.imported,
          r.rejected,
          r.recordsSeconds,
          r.recordsMolPerSec,
          r.recordsCores,
          r.descriptorSeconds,
          r.seconds,
          r.molPerSec,
          r.peakRssMiB,
        ].map(String),
      ),
    ],
    [
      `Chemistry workers: ${workers}, on ${cpus().length} cores; load average ${loadavg()[0]?.toFixed(2)} at the end. Goal: 2,000 mol/s; the records step (standardisation, InChIKey, ECFP4, SQLite; the library is usable after it) ` +
        `reached ${full.recordsMolPerSec} mol/s on the full corpus, the whole import with descriptors and pattern fingerprints ${full.molPerSec} mol/s.`,
      '',
      `Per molecule, one thread (µs): ${Object.entries(perStageUs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; whole standardise() ${Math.round(fullUs)}, without descriptors and pattern fingerprint (the records step) ${Math.round(deferredUs)}.`,
      'RDKit MinimalLib computes ~40 descriptors in one get_descriptors() call; Delicate keeps 11 of them but pays for all: they come in the second step.',
    ],
  );
}
