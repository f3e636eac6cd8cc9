import type { RunProgress } from './dto';

/** Where an interrupted run stands, in words: "seed 2 of 3, teacher epoch 7 of 15". */
export function describeRun(p: RunProgress): string {
  const stage = p.stage === 'teacher' ? 'teacher' : p.stage === 'distill' ? 'student distillation' : "student's short fine-tune";
  return `seed ${p.seed} of ${p.seeds}, ${stage} epoch ${p.epoch} of ${p.epochs}`;
}
