/**
 * The moving average of the weights (config.ema > 0): after every optimiser step
 * ema = d·ema + (1 − d)·params, d = emaDecay(decay, step). Dev scores the average by swapping it into the backend
 * (withAverage), and training resumes from the raw weights.
 */

/**
 * The weight average's decay for the update after step t (t = optimiser steps before it, from 0): it warms up as
 * min(d, (1 + t) / (10 + t)) — TensorFlow's ExponentialMovingAverage with num_updates — so early on the average
 * follows the weights closely (0.1 at the first step, 0.9 at step 80, 0.99 at step 890) and reaches `d` only after
 * about 10 / (1 − d) steps; the random initial weights never dominate a short run.
 */
export function emaDecay(d: number, t: number): number {
  return Math.min(d, (1 + t) / (10 + t));
}

/** What Ema.withAverage needs from a training backend: the flat parameters, read and written. */
export interface ParameterHolder {
  getFlatParameters(): Float32Array;
  setParameters(params: Float32Array): void;
}

export class Ema {
  /**
   * @param decay the long-run decay d (0 < d < 1)
   * @param weights the average so far (starts as the initial parameters, or a checkpoint's average); updated in place
   */
  constructor(
    readonly decay: number,
    readonly weights: Float32Array,
  ) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`Ema: expected 0 < decay < 1, got ${decay}`);
  }

  /** Folds in the parameters after optimiser step `step` (steps before it, from 0). */
  update(params: Float32Array, step: number): void {
    const w = this.weights; // [P]
    if (params.length !== w.length)
      throw new RangeError(`Ema.update: expected ${w.length} parameters, got ${params.length}`);
    const d = emaDecay(this.decay, step);
    for (let i = 0; i < w.length; i++) w[i] = d * w[i] + (1 - d) * params[i];
  }

  /** Runs `fn` with the average in the backend, then puts the raw parameters back (also when `fn` throws). */
  async withAverage<T>(backend: ParameterHolder, fn: () => Promise<T>): Promise<T> {
    const raw = backend.getFlatParameters();
    backend.setParameters(this.weights);
    try {
      return await fn();
    } finally {
      backend.setParameters(raw);
    }
  }
}
