/**
 * The moving average of the weights (config.ema > 0): after every optimiser step
 * ema = d·ema + (1 − d)·params, d = emaDecay(decay, step). The average lives in the training backend beside the
 * parameters (TrainingBackend.startAverage / updateAverage / getAverage / swapAverage), so folding it in reads
 * nothing back (WebGpuBackend: a GPU buffer). Dev scores the average by swapping it into the backend
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

/** The checks of TrainingBackend.updateAverage's arguments (every backend: the same messages). */
export function checkAverageUpdate(decay: number, step: number): void {
  if (!(decay > 0 && decay < 1)) throw new RangeError(`updateAverage: expected 0 < decay < 1, got ${decay}`);
  if (!(Number.isInteger(step) && step >= 0)) throw new RangeError(`updateAverage: expected a step ≥ 0, got ${step}`);
}

/**
 * The fold of the CPU backends, in place: average[i] = d·average[i] + (1 − d)·params[i], d = emaDecay(decay, step)
 * (`step`: optimiser steps before this update, from 0), in f64 and rounded once to f32.
 */
export function foldAverage(average: Float32Array, params: ArrayLike<number>, decay: number, step: number): void {
  checkAverageUpdate(decay, step);
  const w = average; // [P]
  if (params.length !== w.length)
    throw new RangeError(`updateAverage: expected ${w.length} parameters, got ${params.length}`);
  const d = emaDecay(decay, step);
  for (let i = 0; i < w.length; i++) w[i] = d * w[i] + (1 - d) * params[i];
}

/** The weight average of a training backend (every TrainingBackend, src/train/backend.ts, is one): what Ema drives. */
export interface AverageHolder {
  /**
   * The moving average of the parameters, kept where the parameters are, so that folding it in after every step
   * reads nothing back. It starts as `weights` (a checkpoint's average; copied) or, without, as the parameters now.
   */
  startAverage(weights?: Float32Array): void;
  /** average = d·average + (1 − d)·parameters, d = emaDecay(decay, step); `step`: optimiser steps before, from 0. */
  updateAverage(decay: number, step: number): void;
  /** Copy of the average (read only when needed: best weights, checkpoints; WebGpuBackend: after sync()). */
  getAverage(): Float32Array;
  /** Exchanges the parameters and the average (decode then runs on the average); a second call puts both back. */
  swapAverage(): void;
}

export class Ema {
  /**
   * Starts the backend's average as `start` (a checkpoint's average) or, without, as the parameters now.
   * @param decay the long-run decay d (0 < d < 1)
   */
  constructor(
    readonly decay: number,
    private readonly backend: AverageHolder,
    start?: Float32Array,
  ) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`Ema: expected 0 < decay < 1, got ${decay}`);
    backend.startAverage(start);
  }

  /** Folds in the parameters after optimiser step `step` (steps before it, from 0). */
  update(step: number): void {
    this.backend.updateAverage(this.decay, step);
  }

  /** Copy of the average (WebGpuBackend: after sync()). */
  read(): Float32Array {
    return this.backend.getAverage();
  }

  /** Runs `fn` with the average in the backend, then puts the raw parameters back (also when `fn` throws). */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    this.backend.swapAverage();
    try {
      return await fn();
    } finally {
      this.backend.swapAverage();
    }
  }
}
