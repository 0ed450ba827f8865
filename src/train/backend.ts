/**
 * The training backend abstraction. A backend owns the parameters, the gradient accumulator and the optimiser
 * state, and computes loss + gradients for a list of sentences. The trainer (src/train/trainer.ts) only talks
 * to this interface, so another backend (e.g. WebGPU) can be added without touching the model or the trainer.
 *
 * Implementations: WasmBackend (here: one train.wasm instance in this thread) and ParallelBackend
 * (src/train/parallel.ts: data-parallel over worker_threads, each with its own instance).
 */

import type { Weights } from '../model/layout.js';
import { type Sentence, prepareBatch } from './batch.js';
import { ModelGraph } from './graph.js';
import { type AverageHolder, foldAverage } from './ema.js';
import { TrainKernels, loadTrainingModule } from './kernels.js';
import { ParamLayout } from './params.js';

export interface ForwardBackwardOptions {
  /** dropout probability after each BiLSTM layer; 0 = off */
  dropout: number;
  /** seed of this step's dropout masks */
  seed: number;
  /** stable key per sentence (default: its index); dropout masks are a function of (seed, key) only */
  keys?: ArrayLike<number>;
}

export interface StepStats {
  /** Σ of the per-sentence losses (CRF NLL or token cross-entropy) */
  loss: number;
  sentences: number;
  chars: number;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** clip the global gradient norm to this value; 0 = no clipping */
  clip: number;
}

export const DEFAULT_ADAM: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 5 };

export interface OptimizerState {
  /** Adam steps taken */
  step: number;
  /** first and second moments, in the flat layout of src/train/params.ts */
  m: Float32Array;
  v: Float32Array;
}

export interface UpdateResult {
  /** global L2 norm of the averaged gradient before clipping */
  gradNorm: number;
  clipped: boolean;
}

/**
 * Also the weight moving average (config.ema), AverageHolder of src/train/ema.ts: startAverage, updateAverage,
 * getAverage, swapAverage.
 */
export interface TrainingBackend extends AverageHolder {
  readonly layout: ParamLayout;
  /** Replace the parameters (f32 Weights with the layout.ts names, or a flat vector). */
  setParameters(params: Weights | Float32Array): void;
  /** Copies of the parameters as Weights. */
  getParameters(): Weights;
  /** Copy of the flat parameter vector. */
  getFlatParameters(): Float32Array;
  zeroGrad(): void;
  /** Adds the gradients of Σ loss over `sentences` to the accumulator. */
  forwardBackward(sentences: Sentence[], opts: ForwardBackwardOptions): Promise<StepStats>;
  /** Copy of the accumulated (summed, unscaled) gradient vector. */
  getGradients(): Float32Array;
  /**
   * One Adam step on the accumulated gradient divided by `batchSize` (the mean over the mini-batch),
   * after clipping its global norm; then the accumulator is zeroed.
   */
  step(adam: AdamOptions, batchSize: number): Promise<UpdateResult>;
  /** Best tag path of every sentence (tags ignored), in input order. */
  decode(sentences: Sentence[]): Promise<Int32Array[]>;
  getOptimizerState(): OptimizerState;
  setOptimizerState(state: OptimizerState): void;
  /**
   * For a backend whose vectors live elsewhere (WebGpuBackend: on the GPU): brings the host copies that the
   * synchronous getters answer from up to date. Await it after forwardBackward / step and before getParameters,
   * getFlatParameters, getGradients, getOptimizerState or getAverage (WebGpuBackend's getters throw rather than
   * answer stale numbers). Backends whose getters are always current (wasm, parallel) have none.
   */
  sync?(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Parameters, gradients and Adam moments of one train.wasm instance, laid out as four flat vectors, and the
 * optimiser step on them. Shared by WasmBackend and the coordinator of ParallelBackend.
 */
export class ParameterStore {
  readonly k: TrainKernels;
  readonly layout: ParamLayout;
  readonly params: number;
  readonly grads: number;
  readonly m: number;
  readonly v: number;
  stepCount = 0;
  /** the moving average of the parameters (startAverage), in this thread beside them; undefined until started */
  private average: Float32Array | undefined;

  constructor(k: TrainKernels, layout: ParamLayout, withMoments: boolean) {
    this.k = k;
    this.layout = layout;
    const n = layout.total;
    this.params = k.allocF32(n);
    this.grads = k.allocF32(n);
    this.m = withMoments ? k.allocF32(n) : 0;
    this.v = withMoments ? k.allocF32(n) : 0;
    k.exports.zero(this.params, 4 * n);
    k.exports.zero(this.grads, 4 * n);
    if (withMoments) {
      k.exports.zero(this.m, 4 * n);
      k.exports.zero(this.v, 4 * n);
    }
  }

  paramView(): Float32Array {
    return this.k.f32(this.params, this.layout.total);
  }

  gradView(): Float32Array {
    return this.k.f32(this.grads, this.layout.total);
  }

  setParameters(params: Weights | Float32Array): void {
    if (params instanceof Float32Array) {
      if (params.length !== this.layout.total) throw new Error(`setParameters: expected ${this.layout.total} floats, got ${params.length}`);
      this.paramView().set(params);
    } else {
      this.paramView().set(this.layout.fromWeights(params));
    }
  }

  zeroGrad(): void {
    this.k.exports.zero(this.grads, 4 * this.layout.total);
  }

  /** Adam on grads / batchSize with global-norm clipping; zeroes the gradients afterwards. */
  update(adam: AdamOptions, batchSize: number): UpdateResult {
    validateAdam(adam);
    if (!(batchSize > 0)) throw new Error(`step: expected a batch size > 0, got ${batchSize}`);
    if (!this.m) throw new Error('step: this parameter store has no optimiser state');
    const ex = this.k.exports;
    const n = this.layout.total;
    const scale = 1 / batchSize;
    const gradNorm = Math.sqrt(ex.sumsq(this.grads, n)) * scale;
    if (!Number.isFinite(gradNorm)) throw new Error(`step: gradient norm is ${gradNorm} (diverged)`);
    const clipped = adam.clip > 0 && gradNorm > adam.clip;
    const gscale = clipped ? (scale * adam.clip) / gradNorm : scale;
    this.stepCount++;
    const bc1 = 1 - adam.beta1 ** this.stepCount;
    const bc2 = 1 - adam.beta2 ** this.stepCount;
    ex.adam(this.params, this.grads, this.m, this.v, n, adam.lr, adam.beta1, adam.beta2, adam.eps, bc1, bc2, gscale);
    this.zeroGrad();
    return { gradNorm, clipped };
  }

  startAverage(weights?: Float32Array): void {
    const n = this.layout.total;
    if (weights && weights.length !== n) throw new Error(`startAverage: expected ${n} floats, got ${weights.length}`);
    this.average = (weights ?? this.paramView()).slice();
  }

  updateAverage(decay: number, step: number): void {
    foldAverage(this.averageOf('updateAverage'), this.paramView(), decay, step);
  }

  getAverage(): Float32Array {
    return this.averageOf('getAverage').slice();
  }

  swapAverage(): void {
    const a = this.averageOf('swapAverage'); // [P]
    const p = this.paramView(); // [P]
    for (let i = 0; i < p.length; i++) {
      const t = p[i];
      p[i] = a[i];
      a[i] = t;
    }
  }

  private averageOf(what: string): Float32Array {
    if (!this.average) throw new Error(`${what}: no weight average; call startAverage first`);
    return this.average;
  }

  getOptimizerState(): OptimizerState {
    const n = this.layout.total;
    return { step: this.stepCount, m: this.k.f32(this.m, n).slice(), v: this.k.f32(this.v, n).slice() };
  }

  setOptimizerState(state: OptimizerState): void {
    const n = this.layout.total;
    if (!(Number.isInteger(state.step) && state.step >= 0)) throw new Error(`optimizer state: expected step ≥ 0, got ${state.step}`);
    if (state.m.length !== n || state.v.length !== n) {
      throw new Error(`optimizer state: expected moments of ${n} floats, got ${state.m.length} / ${state.v.length}`);
    }
    this.k.f32(this.m, n).set(state.m);
    this.k.f32(this.v, n).set(state.v);
    this.stepCount = state.step;
  }
}

export function validateAdam(a: AdamOptions): void {
  if (!(a.lr > 0)) throw new Error(`adam: expected lr > 0, got ${a.lr}`);
  if (!(a.beta1 >= 0 && a.beta1 < 1) || !(a.beta2 >= 0 && a.beta2 < 1)) throw new Error(`adam: expected betas in [0, 1), got ${a.beta1}, ${a.beta2}`);
  if (!(a.eps > 0)) throw new Error(`adam: expected eps > 0, got ${a.eps}`);
  if (!(a.clip >= 0)) throw new Error(`adam: expected clip ≥ 0, got ${a.clip}`);
}

/**
 * Lockstep chunks (indices into `sentences`) of similar lengths: at most `size` sentences and, unless a single
 * sentence is longer, at most `maxRows` padded positions (sentences × longest length) each, which bounds memory.
 */
export function lengthChunks(sentences: Sentence[], size: number, maxRows = 16384): number[][] {
  const idx = [...sentences.keys()].sort((a, b) => sentences[a].charIds.length - sentences[b].charIds.length || a - b);
  const chunks: number[][] = [];
  let cur: number[] = [];
  for (const i of idx) {
    const T = sentences[i].charIds.length; // ascending, so T is the chunk's longest
    if (cur.length > 0 && (cur.length >= size || (cur.length + 1) * T > maxRows)) {
      chunks.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

export const DECODE_CHUNK = 64;

/**
 * What WasmBackend and ParallelBackend answer alike from the ParameterStore in this thread: the parameters, the
 * optimiser state and the weight average.
 */
export abstract class StoreBackend {
  abstract readonly layout: ParamLayout;
  abstract readonly store: ParameterStore;

  getParameters(): Weights {
    return this.layout.toWeights(this.store.paramView());
  }

  getFlatParameters(): Float32Array {
    return this.store.paramView().slice();
  }

  getOptimizerState(): OptimizerState {
    return this.store.getOptimizerState();
  }

  setOptimizerState(state: OptimizerState): void {
    this.store.setOptimizerState(state);
  }

  startAverage(weights?: Float32Array): void {
    this.store.startAverage(weights);
  }

  updateAverage(decay: number, step: number): void {
    this.store.updateAverage(decay, step);
  }

  getAverage(): Float32Array {
    return this.store.getAverage();
  }

  swapAverage(): void {
    this.store.swapAverage();
  }
}

/** Everything in this thread on one train.wasm instance. Deterministic: same inputs → same bits. */
export class WasmBackend extends StoreBackend implements TrainingBackend {
  readonly layout: ParamLayout;
  readonly store: ParameterStore;
  readonly graph: ModelGraph;

  constructor(layout: ParamLayout, module: WebAssembly.Module = loadTrainingModule()) {
    super();
    this.layout = layout;
    const k = new TrainKernels(module);
    this.store = new ParameterStore(k, layout, true);
    this.graph = new ModelGraph(k, layout, this.store.params, this.store.grads);
  }

  setParameters(params: Weights | Float32Array): void {
    this.store.setParameters(params);
  }

  zeroGrad(): void {
    this.store.zeroGrad();
  }

  async forwardBackward(sentences: Sentence[], opts: ForwardBackwardOptions): Promise<StepStats> {
    return this.forwardBackwardSync(sentences, opts);
  }

  forwardBackwardSync(sentences: Sentence[], opts: ForwardBackwardOptions): StepStats {
    const batch = prepareBatch(sentences, this.layout.arch, opts.keys);
    const loss = this.graph.forwardBackward(batch, opts);
    return { loss, sentences: batch.B, chars: batch.chars };
  }

  getGradients(): Float32Array {
    return this.store.gradView().slice();
  }

  async step(adam: AdamOptions, batchSize: number): Promise<UpdateResult> {
    return this.store.update(adam, batchSize);
  }

  async decode(sentences: Sentence[]): Promise<Int32Array[]> {
    return this.decodeSync(sentences);
  }

  decodeSync(sentences: Sentence[]): Int32Array[] {
    const out: Int32Array[] = new Array(sentences.length);
    for (const chunk of lengthChunks(sentences, DECODE_CHUNK)) {
      const paths = this.graph.decode(prepareBatch(chunk.map((i) => sentences[i]), this.layout.arch));
      chunk.forEach((i, j) => (out[i] = paths[j]));
    }
    return out;
  }

  async dispose(): Promise<void> {}
}
