import type { JobProgress } from './dto';

/** A job's progress as its service reports it, before the job manager adds the job's id and kind. */
export type Progress = Omit<JobProgress, 'jobId' | 'kind'>;

/** A job's progress in words, the same in the app and on the command line: its message and the ETA. */
export function progressText(p: Pick<Progress, 'message' | 'etaSeconds'>): string {
  return p.etaSeconds === null || p.etaSeconds === undefined ? p.message : `${p.message} · ETA ${Math.ceil(p.etaSeconds)} s`;
}
