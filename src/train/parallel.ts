/**
 * Data-parallel training over worker_threads. Each worker (src/train/worker.ts) holds its own train.wasm
 * instance and computes loss + gradients for its share of every mini-batch; this thread keeps the master
 * parameters and the Adam state in its own instance, sums the workers' gradients, clips, steps, and publishes
 * the new parameters through a SharedArrayBuffer (no per-step messages carry tensors).
 *
 * A mini-batch is split by sorting its sentences by length and dealing them round-robin, so every worker gets
 * the same number of similar-length sentences. Dropout masks depend only on (seed, sentence key), so the
 * result equals the single-thread one up to the order of floating-point sums.
 */

import { startModuleWorker } from '../io/worker-thread.js';
import { Worker } from 'node:worker_threads';
import { channelIdsOf } from '../features/channels.js';
import type { Architecture, Weights } from '../model/layout.js';
import type { Sentence } from './batch.js';
import {
  type AdamOptions, type ForwardBackwardOptions, type StepStats, type TrainingBackend,
  type UpdateResult, ParameterStore, StoreBackend, lengthChunks, DECODE_CHUNK,
} from './backend.js';
import { TrainKernels, loadTrainingModule } from './kernels.js';
import type { ParamLayout } from './params.js';

/** workerData of a training worker */
export interface WorkerInit {
  arch: Architecture;
  module: WebAssembly.Module;
  /** SharedArrayBuffer of the flat parameters (written by the coordinator) */
  params: SharedArrayBuffer;
  /** SharedArrayBuffer of this worker's accumulated gradients (written by the worker) */
  grads: SharedArrayBuffer;
}

/** A sentence as a worker gets it: every channel's ids and the tags (src/train/batch.ts Sentence) */
type SentenceIds = Sentence;

export type WorkerRequest =
  | { id: number; type: 'forwardBackward'; version: number; gradEpoch: number; sentences: SentenceIds[]; keys: number[]; dropout: number; seed: number }
  | { id: number; type: 'decode'; version: number; sentences: SentenceIds[] };

export type WorkerReply =
  | { id: number; type: 'forwardBackward'; loss: number; chars: number; sentences: number }
  | { id: number; type: 'decode'; paths: Int32Array[] }
  | { id: number; type: 'error'; message: string };

export interface ParallelOptions {
  /** worker threads (default 2) */
  workers?: number;
  /** a compiled train.wasm (default: build/train.wasm) */
  module?: WebAssembly.Module;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

/** Starts a worker running worker.ts (under tsx) or the compiled worker.js. */
function startWorker(init: WorkerInit): Worker {
  return startModuleWorker(import.meta.url, './worker', init);
}

class WorkerHandle {
  readonly worker: Worker;
  readonly grads: Float32Array;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private failure: Error | undefined;

  constructor(init: WorkerInit) {
    this.grads = new Float32Array(init.grads);
    this.worker = startWorker(init);
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.type === 'error') p.reject(new Error(`training worker: ${r.message}`));
      else p.resolve(r);
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => fail(new Error(`training worker exited (code ${code})`)));
  }

  request<R extends WorkerReply>(msg: WithoutId<WorkerRequest>): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerReply) => void, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }
}

export class ParallelBackend extends StoreBackend implements TrainingBackend {
  readonly layout: ParamLayout;
  readonly store: ParameterStore;
  private readonly workers: WorkerHandle[];
  private readonly sharedParams: Float32Array;
  /** staging buffer in this thread's wasm memory for summing worker gradients */
  private readonly staging: number;
  private version = 0;
  private gradEpoch = 0;
  /** workers that computed gradients since the last zeroGrad / step */
  private contributed = new Set<number>();

  private constructor(layout: ParamLayout, module: WebAssembly.Module, n: number) {
    super();
    this.layout = layout;
    const k = new TrainKernels(module);
    this.store = new ParameterStore(k, layout, true);
    this.staging = k.allocF32(layout.total);
    const bytes = 4 * layout.total;
    const params = new SharedArrayBuffer(bytes);
    this.sharedParams = new Float32Array(params);
    this.workers = Array.from({ length: n }, () => new WorkerHandle({ arch: layout.arch, module, params, grads: new SharedArrayBuffer(bytes) }));
  }

  static async create(layout: ParamLayout, opts: ParallelOptions = {}): Promise<ParallelBackend> {
    const n = opts.workers ?? 2;
    if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new Error(`workers: expected an integer in [1, 64], got ${n}`);
    const backend = new ParallelBackend(layout, opts.module ?? loadTrainingModule(), n);
    backend.publish();
    // a round trip per worker, so start-up failures surface here
    await Promise.all(backend.workers.map((w) => w.request({ type: 'decode', version: backend.version, sentences: [] })));
    return backend;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Copy the master parameters to the shared buffer under a new version. */
  private publish(): void {
    this.sharedParams.set(this.store.paramView());
    this.version++;
  }

  setParameters(params: Weights | Float32Array): void {
    this.store.setParameters(params);
    this.publish();
  }

  zeroGrad(): void {
    this.store.zeroGrad();
    this.gradEpoch++;
    this.contributed.clear();
  }

  async forwardBackward(sentences: Sentence[], opts: ForwardBackwardOptions): Promise<StepStats> {
    if (sentences.length === 0) throw new Error('forwardBackward: expected at least one sentence, got 0');
    if (opts.keys && opts.keys.length !== sentences.length) throw new Error(`forwardBackward: expected ${sentences.length} keys, got ${opts.keys.length}`);
    const n = this.workers.length;
    const order = [...sentences.keys()].sort((a, b) => sentences[a].charIds.length - sentences[b].charIds.length || a - b);
    const shares: number[][] = Array.from({ length: n }, () => []);
    order.forEach((i, r) => shares[r % n].push(i));
    const replies = await Promise.all(
      shares.map((share, w) => {
        if (share.length === 0) return undefined;
        this.contributed.add(w);
        return this.workers[w].request<Extract<WorkerReply, { type: 'forwardBackward' }>>({
          type: 'forwardBackward',
          version: this.version,
          gradEpoch: this.gradEpoch,
          sentences: share.map((i) => ids(sentences[i])),
          keys: share.map((i) => (opts.keys ? opts.keys[i] : i)),
          dropout: opts.dropout,
          seed: opts.seed,
        });
      }),
    );
    const stats: StepStats = { loss: 0, sentences: 0, chars: 0 };
    for (const r of replies) {
      if (!r) continue;
      stats.loss += r.loss;
      stats.sentences += r.sentences;
      stats.chars += r.chars;
    }
    return stats;
  }

  /** store.grads = Σ of the contributing workers' gradient slots, in worker order. */
  private gatherGradients(): void {
    const ex = this.store.k.exports;
    const n = this.layout.total;
    this.store.zeroGrad();
    for (const w of [...this.contributed].sort((a, b) => a - b)) {
      this.store.k.f32(this.staging, n).set(this.workers[w].grads);
      ex.vadd(this.store.grads, this.staging, n);
    }
  }

  getGradients(): Float32Array {
    this.gatherGradients();
    return this.store.gradView().slice();
  }

  async step(adam: AdamOptions, batchSize: number): Promise<UpdateResult> {
    this.gatherGradients();
    const r = this.store.update(adam, batchSize);
    this.gradEpoch++;
    this.contributed.clear();
    this.publish();
    return r;
  }

  async decode(sentences: Sentence[]): Promise<Int32Array[]> {
    const out: Int32Array[] = new Array(sentences.length);
    if (sentences.length === 0) return out;
    const chunks = lengthChunks(sentences, DECODE_CHUNK);
    const shares: number[][] = Array.from({ length: this.workers.length }, () => []);
    chunks.forEach((c, i) => shares[i % shares.length].push(...c));
    await Promise.all(
      shares.map(async (share, w) => {
        if (share.length === 0) return;
        const r = await this.workers[w].request<Extract<WorkerReply, { type: 'decode' }>>({
          type: 'decode',
          version: this.version,
          sentences: share.map((i) => ids(sentences[i])),
        });
        share.forEach((i, j) => (out[i] = r.paths[j]));
      }),
    );
    return out;
  }

  /** The swap happens in this thread's master copy; the workers see it through the shared parameters. */
  override swapAverage(): void {
    super.swapAverage();
    this.publish();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

function ids(s: Sentence): SentenceIds {
  return { ...channelIdsOf(s), tagIds: s.tagIds };
}
