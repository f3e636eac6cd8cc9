import { tf } from './tf/backend';

/** Losses shared by pretraining, fine-tuning and distillation; each takes and returns tensors (no tidy). */

/** Mean softmax cross-entropy of logits [N, V] against integer labels [N]. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const onehot = tf.oneHot(labels, logits.shape[logits.shape.length - 1] as number);
  return tf.mean(tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(onehot, logits), -1))) as tf.Scalar;
}

/** Mean squared error. */
export function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
}

/**
 * MSE for censored measurements: `bound` per row is 0 for a measured value, -1 for an upper bound (the
 * assay says `< y`: only a prediction above y is wrong) and +1 for a lower bound (`> y`: only one below).
 * Inactives tested up to the top concentration ("IC50 > 10 µM") teach the model without pretending the
 * bound is the value.
 */
export function censoredMse(pred: tf.Tensor, target: tf.Tensor, bound: tf.Tensor): tf.Scalar {
  const r = tf.sub(pred, target);
  const exact = tf.cast(tf.equal(bound, 0), 'float32');
  const upper = tf.cast(tf.less(bound, 0), 'float32');
  const lower = tf.cast(tf.greater(bound, 0), 'float32');
  const kept = tf.add(tf.mul(exact, r), tf.sub(tf.mul(upper, tf.relu(r)), tf.mul(lower, tf.relu(tf.neg(r)))));
  return tf.mean(tf.square(kept)) as tf.Scalar;
}

/** Binary cross-entropy on logits against targets in [0, 1], in the stable form max(x,0) − x·t + log(1 + e^−|x|). */
export function bceWithLogits(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar;
}

/** MSE between hidden states [B, T, H] over real tokens only (mask [B, T]), averaged per token and unit. */
export function maskedHiddenMse(student: tf.Tensor, teacher: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const h = student.shape[2] as number;
  const m3 = tf.expandDims(mask, 2);
  return tf.div(tf.sum(tf.mul(tf.square(tf.sub(student, teacher)), m3)), tf.mul(tf.sum(mask), h)) as tf.Scalar;
}

/**
 * KL(teacher ‖ student) of attention distributions [B, heads, T, T], summed over keys, averaged over the
 * query rows of real tokens and heads.
 */
export function attentionKl(student: tf.Tensor, teacher: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const [b, heads, t] = student.shape as [number, number, number, number];
  const rows = tf.reshape(mask, [b, 1, t, 1]);
  const kl = tf.mul(teacher, tf.sub(tf.log(tf.add(teacher, 1e-9)), tf.log(tf.add(student, 1e-9))));
  return tf.div(tf.sum(tf.mul(kl, rows)), tf.mul(tf.sum(mask), heads)) as tf.Scalar;
}

/** Soft-target loss T²·KL(softmax(t/T) ‖ softmax(s/T)), mean over rows (Hinton et al.). */
export function softTargetKl(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, temperature: number): tf.Scalar {
  const tp = tf.softmax(tf.div(teacherLogits, temperature));
  const sl = tf.logSoftmax(tf.div(studentLogits, temperature));
  return tf.mul(tf.mean(tf.sum(tf.mul(tp, tf.sub(tf.log(tf.add(tp, 1e-9)), sl)), -1)), temperature * temperature) as tf.Scalar;
}
