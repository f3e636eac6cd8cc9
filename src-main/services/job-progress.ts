import type { EpochPoint, RunProgress } from '../../src-shared/dto';
import type { Progress } from '../../src-shared/progress';
import type { AssayReadProgress } from '../train/assay';
import type { Progress as PretrainStep } from '../train/pretrain';
import type { BatchPoint } from '../train/qsar';
import type { QsarSettings } from '../train/qsar-settings';
import type { FillProgress } from './descriptor-fill';
import type { ImportProgress } from './import-service';

// One progress shape per job kind, mapped here once: the app's job events and the command line's progress
// lines are both made from these (`progressText` says them in words). Screens and VS report it already.

/** An import's second step (or its continuation at a start): descriptors and substructure fingerprints. */
export function descriptorProgress(p: FillProgress, library?: string): Progress {
  return {
    ...(library ? { descriptorsOf: library } : {}),
    done: p.done,
    total: p.total,
    rate: p.rate,
    etaSeconds: p.etaSeconds,
    message: `descriptors: ${p.done} of ${p.total} compounds (${Math.round(p.rate)}/s); the compounds can be browsed, searched and screened meanwhile`,
  };
}

/** An import: records read so far (the total is unknown until the end; the bytes read give the ETA). */
export function importProgress(p: ImportProgress): Progress {
  return {
    done: p.read,
    total: null,
    rate: p.rate,
    etaSeconds: p.etaSeconds,
    message: `${p.read} records: ${p.imported} new, ${p.duplicates} duplicates, ${p.rejected} rejected (${Math.round(p.fraction * 100)}%, ${Math.round(p.rate)} records/s)`,
  };
}

/** A pretraining or general-distillation step, with the point the loss curve adds. */
export function pretrainProgress(p: PretrainStep): Progress {
  const parts = `mlm ${p.mlm.toFixed(3)}, physchem ${p.physchem.toFixed(3)}${p.distill === undefined ? '' : `, distill ${p.distill.toFixed(3)}`}`;
  return {
    done: p.step,
    total: p.totalSteps,
    rate: p.seqPerSec,
    etaSeconds: p.etaSeconds,
    message: `step ${p.step}/${p.totalSteps}: loss ${p.loss.toFixed(3)} (${parts}), MLM accuracy ${(p.mlmAccuracy * 100).toFixed(1)}%, ${p.seqPerSec.toFixed(1)} sequences/s`,
    point: { step: p.step, loss: p.loss, mlm: p.mlm, physchem: p.physchem, mlmAccuracy: p.mlmAccuracy },
  };
}

/** Reading an assay: records read, compounds and rejected records so far. */
export function assayProgress(p: AssayReadProgress): Progress {
  return { done: p.read, total: null, rate: 0, etaSeconds: null, message: `${p.read} records: ${p.compounds} compounds, ${p.rejected} rejected` };
}

/**
 * A training run's progress in epochs over every stage and seed (the teacher's and, with distillation, the
 * student's), counted on from where a resumed run stood. The ETA comes from the run's pace in this process,
 * measured from its first batches on (a fit reports where it stands within an epoch every second or so).
 */
export function trainProgress(settings: QsarSettings, from: RunProgress | null = null): (message: string, epoch?: EpochPoint, batch?: BatchPoint) => Progress {
  const perSeed = settings.epochs * (settings.distill ? 2 : 1);
  const total = perSeed * settings.seeds;
  let done = from ? (from.seed - 1) * perSeed + (from.stage === 'teacher' ? from.epoch : from.stage === 'distill' ? settings.epochs + from.epoch : perSeed) : 0;
  const startDone = done;
  const t0 = performance.now();
  let rate = 0;
  return (message, epoch, batch) => {
    if (epoch) done++;
    // Within an epoch: the share of its batches done (the epoch itself counts once it ends).
    const at = Math.min(total, done + (batch && !epoch ? batch.batch / Math.max(1, batch.batches) : 0));
    const seconds = (performance.now() - t0) / 1000;
    if (at > startDone && seconds > 0) rate = (at - startDone) / seconds;
    return { done: at, total, rate, etaSeconds: rate > 0 ? Math.max(0, total - at) / rate : null, message, ...(epoch ? { epoch } : {}) };
  };
}

/** A clustering (compounds compared with the library) or a scaffold analysis (scaffolds found), from `started` (ms). */
export function clusterProgress(p: { done: number; total: number }, started: number, what = 'compared with the library'): Progress {
  const rate = p.done / Math.max(1e-3, (performance.now() - started) / 1000);
  return {
    done: p.done,
    total: p.total,
    rate,
    etaSeconds: rate > 0 ? (p.total - p.done) / rate : null,
    message: `${p.done} of ${p.total} compounds ${what} (${Math.round(rate)}/s)`,
  };
}
