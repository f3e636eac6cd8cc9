// `npm run bench -- scale [--molecules 10000] [--repeats 7] [--stream 100000] [--big 1000000]`: screening at
// scale (issue 35), in one run. The int8 part: the shipped DeLiCaTe ESOL student on ONNX Runtime as exported
// (float32) and with int8 weights for the encoder's MatMuls (dynamic quantisation: `--engine onnxruntime-int8`):
//   - throughput on ChEMBL molecules (the same token sequences), 1 and 2 threads, float32 and int8 alternated;
//   - each shipped task student's test metrics on the split it was shipped with, float32 against int8 on the
//     same compounds (bench/_scale-int8.ts).
// The streaming part (bench/_scale-stream.ts): a file screen of --stream molecules against pure ONNX Runtime
// and against the same molecules' chemistry and scoring without a file (bench/_scale-engine.ts), one process
// against two shard processes, and peak memory at --stream and --big molecules.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { onnxGraph } from '../src-main/model/onnx-export';
import { OrtModel } from '../src-main/model/ort-engine';
import { AppContext } from '../src-main/services/app-context';
import type { TaskModelSpec } from '../src-main/train/predict-types';
import { median, report } from './_report';
import { int8Accuracy, modelInputs } from './_scale-int8';
import { streamingPart } from './_scale-stream';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data');
const MODEL = 'delicate-esol-student';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export async function run(args: string[]): Promise<void> {
  const molecules = option(args, '--molecules', 10000);
  const repeats = option(args, '--repeats', 7);
  const stream = option(args, '--stream', 100_000);
  const big = option(args, '--big', 1_000_000);
  const app = new AppContext(join(tmpdir(), `delicate-scale-${process.pid}.db`), { shippedModels: true });
  try {
    const spec = app.models.scoringSpec(MODEL) as TaskModelSpec;
    const graphs = { float32: onnxGraph(spec, false), int8: onnxGraph(spec, true) };

    // Throughput: ChEMBL molecules the model can read, the same sequences for both.
    const smiles = gunzipSync(readFileSync(join(data, 'pretrain/chembl31_150k.csv.gz')))
      .toString('utf8')
      .split('\n')
      .slice(1, molecules + 1)
      .map((l) => l.split(',')[0] as string);
    // A head that reads the ECFP4 (or descriptors) gets them, made before the timing.
    const { seqs, fps, descs } = await modelInputs(spec, smiles);
    const timed = (m: OrtModel, n = seqs.length) => m.rows(seqs.slice(0, n), 'task', 64, fps?.slice(0, n), descs?.slice(0, n));
    const rows: string[][] = [['measure', 'result', 'detail']];
    const results: Record<string, unknown> = { model: MODEL, molecules: seqs.length, graphBytes: { float32: graphs.float32.length, int8: graphs.int8.length } };
    for (const threads of [1, 2]) {
      // Paired rounds: each round times both graphs back to back (which goes first alternates), so a slow
      // spell on a shared host slows both; the ratio is the median of the rounds' own ratios.
      const times = { float32: [] as number[], int8: [] as number[] };
      const models = {
        float32: await OrtModel.create(graphs.float32, threads, true, spec.config.task),
        int8: await OrtModel.create(graphs.int8, threads, true, spec.config.task),
      };
      try {
        await timed(models.float32, 256);
        await timed(models.int8, 256);
        for (let r = 0; r < repeats; r++) {
          for (const kind of r % 2 ? (['int8', 'float32'] as const) : (['float32', 'int8'] as const)) {
            const t0 = performance.now();
            await timed(models[kind]);
            times[kind].push((performance.now() - t0) / 1000);
          }
        }
      } finally {
        await Promise.all([models.float32.release(), models.int8.release()]);
      }
      const ratios = times.float32.map((f, r) => f / (times.int8[r] as number)).sort((a, b) => a - b);
      const rate = { float32: seqs.length / median(times.float32), int8: seqs.length / median(times.int8) };
      results[`molPerSec${threads}`] = rate;
      results[`int8Ratios${threads}`] = ratios;
      rows.push([
        `int8 vs float32 inference, ${threads} thread${threads > 1 ? 's' : ''} (median of ${repeats} paired rounds)`,
        `${median(ratios).toFixed(2)}x`,
        `rounds ${(ratios[0] as number).toFixed(2)}-${(ratios[ratios.length - 1] as number).toFixed(2)}x; median float32 ${rate.float32.toFixed(0)} mol/s, int8 ${rate.int8.toFixed(0)} mol/s`,
      ]);
    }

    const accuracy = await int8Accuracy(app.models, join(data, 'qsar'));
    rows.push(...accuracy.rows);
    Object.assign(results, { int8Accuracy: accuracy.results });
    rows.push([
      'int8 vs float32 ONNX graph size',
      `${(graphs.int8.length / graphs.float32.length).toFixed(2)}x`,
      `${graphs.float32.length} and ${graphs.int8.length} bytes`,
    ]);
    const streaming = await streamingPart({
      spec,
      corpusGz: join(data, 'pretrain/chembl31_150k.csv.gz'),
      work: join(tmpdir(), `delicate-scale-${process.pid}`),
      molecules: stream,
      big,
    });
    rows.push(...streaming.rows);
    Object.assign(results, streaming.results);
    report('scale', results, rows, [
      `Model: ${MODEL} (shipped; ${seqs.length.toLocaleString('en')} ChEMBL molecules it can read for throughput, sequences as the screen batches them). int8: the encoder's dense layers as MatMulInteger on int8 weights (one scale per output column) with activations quantised per tensor at run time (DynamicQuantizeLinear); attention products, pooler and head stay float32.`,
      `One run; per thread count ${repeats} rounds, each timing float32 and int8 back to back on all the sequences (which goes first alternates). Load average ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores at the end.`,
      ...accuracy.notes,
      ...streaming.notes,
    ]);
  } finally {
    await app.close();
  }
}
