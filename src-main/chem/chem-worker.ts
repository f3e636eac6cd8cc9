import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../src-shared/errors';
import { structuralAlerts } from './alerts';
import { conformer3d } from './conformer';
import { isFatalWasmError } from './guard';
import { type QueryPlan, freePlan, planQuery } from './query-plan';
import { depictSvg, loadRdkit, murckoScaffold } from './rdkit';
import { type LateChemistryResult, type ScreenParentResult, type StandardiseResult, lateChemistry, screenParent, standardise } from './standardise';
import { maxMin, neighbourRows } from './clustering';
import { decompose } from './rgroups';
import { SearchCache, substructureMatches } from './substructure';
import type { ChemRequest, ChemResponse } from './chem-protocol';

/** Worker thread: runs RDKit/OpenChemLib work so the caller's event loop stays free. */
const port = parentPort;
if (!port) throw new Error('chem-worker must run in a worker thread');
const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);
const rdReady = loadRdkit();
/** Searched chunks kept for the next search (molecules; about 0.7 KB each in RDKit's memory, a biaryl twice: see query-plan). */
const searchCache = new SearchCache((workerData as { searchCapacity?: number }).searchCapacity ?? 400_000);

/** Marks item `i` of task `id` as started, for the pool's watchdog. */
function at(id: number, i: number): void {
  Atomics.store(progress, 0, id);
  Atomics.store(progress, 1, i);
}

/** The last query's plan: a search sends one task per chunk, all with the same query. */
let lastQuery: { text: string; plan: QueryPlan } | null = null;

function queryPlan(rd: Awaited<typeof rdReady>, text: string): QueryPlan | null {
  if (lastQuery?.text === text) return lastQuery.plan;
  if (lastQuery) freePlan(lastQuery.plan);
  lastQuery = null;
  const plan = planQuery(rd, text);
  if (plan) lastQuery = { text, plan };
  return plan;
}

const crashReason = (err: unknown) =>
  `RDKit crashed on this structure (${err instanceof Error ? err.message : String(err)}); the chemistry worker was restarted`;

port.on('message', async (msg: ChemRequest) => {
  const reply = (r: ChemResponse) => port.postMessage(r);
  at(msg.id, 0);
  try {
    const rd = await rdReady;
    switch (msg.op) {
      case 'standardise':
      case 'parents':
      case 'late': {
        const one =
          msg.op === 'standardise'
            ? (r: typeof rd, s: string) => standardise(r, s, msg.defer)
            : msg.op === 'parents'
              ? (r: typeof rd, s: string) => screenParent(r, s, msg.descriptors)
              : lateChemistry;
        const out: Array<StandardiseResult | ScreenParentResult | LateChemistryResult> = [];
        for (let i = 0; i < msg.inputs.length; i++) {
          at(msg.id, i);
          try {
            out.push(one(rd, msg.inputs[i] as string));
          } catch (err) {
            if (isFatalWasmError(err)) {
              out.push({ ok: false, reason: crashReason(err) });
              reply({ id: msg.id, ok: true, value: out, fatal: String(err) });
              return;
            }
            out.push({ ok: false, reason: `RDKit could not process this structure (${err instanceof Error ? err.message || err.name : String(err)})` });
          }
        }
        reply({ id: msg.id, ok: true, value: out });
        break;
      }
      case 'substructure': {
        const q = queryPlan(rd, msg.query);
        if (!q) {
          reply({ id: msg.id, ok: false, code: 'INVALID_INPUT', error: `invalid substructure query: ${msg.query}` });
          break;
        }
        if (msg.key !== undefined) reply({ id: msg.id, ok: true, value: searchCache.match(rd, msg.key, msg.chunk, q) });
        else if (msg.chunk) reply({ id: msg.id, ok: true, value: substructureMatches(rd, msg.chunk, q) });
        else throw new Error('a substructure task needs a chunk or a key');
        break;
      }
      case 'searchIndex':
        reply({ id: msg.id, ok: true, value: { computed: searchCache.add(rd, msg.key, msg.chunk) } });
        break;
      case 'neighbours':
        reply({ id: msg.id, ok: true, value: neighbourRows(msg.table, msg.threshold, msg.from, msg.to, (i) => at(msg.id, i - msg.from)) });
        break;
      case 'scaffolds':
        reply({
          id: msg.id,
          ok: true,
          value: msg.smiles.map((s, i) => {
            at(msg.id, i);
            return murckoScaffold(rd, s);
          }),
        });
        break;
      case 'rgroups':
        reply({ id: msg.id, ok: true, value: decompose(rd, msg.smiles, msg.core) });
        break;
      case 'maxMin':
        reply({ id: msg.id, ok: true, value: maxMin(msg.table, msg.k, msg.first) });
        break;
      case 'depict':
        reply({ id: msg.id, ok: true, value: depictSvg(rd, msg.smiles, msg.width, msg.height, msg.highlight) });
        break;
      case 'conformer':
        reply({ id: msg.id, ok: true, value: conformer3d(msg.smiles) });
        break;
      case 'alerts':
        reply({ id: msg.id, ok: true, value: structuralAlerts(rd, msg.smiles) });
        break;
    }
  } catch (err) {
    const fatal = isFatalWasmError(err);
    reply({
      id: msg.id,
      ok: false,
      error: fatal ? crashReason(err) : err instanceof Error ? err.message : String(err),
      ...(fatal ? { code: 'PARSE_ERROR' as const, fatal: String(err) } : err instanceof AppError ? { code: err.code } : {}),
    });
  }
});
