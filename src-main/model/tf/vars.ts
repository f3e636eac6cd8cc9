import { tf } from './backend';

/** A variable initialised from `t`, which it takes over (t is disposed, its data lives on in the variable). */
export function ownedVariable(t: tf.Tensor, trainable = true, name?: string): tf.Variable {
  const v = tf.variable(t, trainable, name);
  t.dispose();
  return v;
}
