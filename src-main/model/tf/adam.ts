import { tf } from './backend';
import { ownedVariable } from './vars';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (AdamW); applied only to the variables `decay` selects. */
  weightDecay: number;
  decay: (name: string) => boolean;
  /** A variable's learning rate as a multiple of the schedule's (1 for all by default). */
  lrScale: (name: string) => number;
}

const DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01, decay: () => true, lrScale: () => 1 };

/**
 * AdamW with one tidy per variable: the same maths as tf.train.adam (plus decoupled weight decay), but
 * temporaries are freed after each variable instead of after all of them, which is what lets larger
 * models fit in the 4 GiB wasm heap (research, section 4). Its state (step and moments) can be exported
 * and restored, so a resumed run continues exactly.
 */
export class LeanAdam {
  readonly options: AdamOptions;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(options: Partial<AdamOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Applies one update; consumes (disposes) the gradients. `scale` multiplies them (gradient clipping). */
  apply(vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number, scale = 1): void {
    const { beta1, beta2, epsilon, weightDecay, decay, lrScale } = this.options;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, g] of Object.entries(grads)) {
      const w = vars[name];
      if (!w) throw new Error(`gradient for unknown variable ${name}`);
      const m = this.slot(this.m, name, w);
      const v = this.slot(this.v, name, w);
      tf.tidy(() => {
        const gs = scale === 1 ? g : tf.mul(g, scale);
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(gs, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gs), 1 - beta2));
        let update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), epsilon));
        if (weightDecay > 0 && decay(name)) update = tf.add(update, tf.mul(w, weightDecay));
        w.assign(tf.sub(w, tf.mul(update, lr * lrScale(name))));
        m.assign(m1);
        v.assign(v1);
      });
      g.dispose();
    }
  }

  private slot(map: Map<string, tf.Variable>, name: string, w: tf.Variable): tf.Variable {
    let s = map.get(name);
    if (!s) {
      s = ownedVariable(tf.zerosLike(w), false);
      map.set(name, s);
    }
    return s;
  }

  /** The moments as named tensors (for checkpoints); owned by the optimizer. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [n, t] of this.m) out[`m/${n}`] = t;
    for (const [n, t] of this.v) out[`v/${n}`] = t;
    return out;
  }

  /** Restores a state written by `state()` at step `step`. */
  restore(step: number, tensors: Record<string, tf.Tensor>): void {
    this.dispose();
    this.step = step;
    for (const [key, t] of Object.entries(tensors)) {
      const slash = key.indexOf('/');
      const map = key.slice(0, slash) === 'm' ? this.m : key.slice(0, slash) === 'v' ? this.v : null;
      if (!map) throw new Error(`not an optimizer tensor: ${key}`);
      map.set(key.slice(slash + 1), tf.variable(t, false)); // shares t's data; the caller disposes t
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
