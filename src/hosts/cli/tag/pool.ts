/**
 * Where `cner tag` runs the tagger: in this thread (one tagger), or spread over worker threads (each worker
 * builds its own tagger from the same model bytes and compiled kernels). Jobs are groups of documents; a job
 * goes to the first idle worker, and the caller gets one promise per job, so it can keep its output in order.
 */
import { startModuleWorker } from '../../../io/worker-thread.js';
import { Worker } from 'node:worker_threads';
import { createTagger, type TagOptions, type TagResult, type Tagger, type TaggerInfo } from '../../../tagger.js';

export interface TaggerPool {
  readonly threads: number;
  readonly info: TaggerInfo;
  tagMany(texts: string[], options: TagOptions): Promise<TagResult[]>;
  close(): Promise<void>;
}

/** workerData of a tagging worker */
export interface TagWorkerInit {
  model: Uint8Array;
  kernels: WebAssembly.Module;
}

export type TagWorkerRequest = { id: number; texts: string[]; options: TagOptions };
export type TagWorkerReply =
  | { id: 0; ready: true }
  | { id: number; results: TagResult[] }
  | { id: number; error: string };

export interface PoolSource {
  model: Uint8Array;
  kernels: WebAssembly.Module;
}

/** threads ≤ 1: the tagger runs in this thread; else `threads` workers. */
export async function createPool(source: PoolSource, threads: number): Promise<TaggerPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: expected an integer ≥ 1, got ${threads}`);
  const local = await createTagger({ model: source.model, kernels: source.kernels });
  if (threads === 1) return new LocalPool(local);
  const pool = new WorkerPool(local.info, source, threads);
  await pool.ready();
  return pool;
}

class LocalPool implements TaggerPool {
  readonly threads = 1;
  readonly info: TaggerInfo;
  constructor(private readonly tagger: Tagger) {
    this.info = tagger.info;
  }
  async tagMany(texts: string[], options: TagOptions): Promise<TagResult[]> {
    return this.tagger.tagMany(texts, options);
  }
  async close(): Promise<void> {}
}

/** Starts a worker running worker.ts (under tsx) or the compiled worker.js. */
function startWorker(init: TagWorkerInit): Worker {
  return startModuleWorker(import.meta.url, './worker', init);
}

interface Job {
  id: number;
  texts: string[];
  options: TagOptions;
  resolve: (r: TagResult[]) => void;
  reject: (e: Error) => void;
}

class Slot {
  job: Job | null = null;
  readyPromise: Promise<void>;
  constructor(readonly worker: Worker, onReply: (slot: Slot, reply: TagWorkerReply) => void, onFail: (slot: Slot, e: Error) => void) {
    this.readyPromise = new Promise((resolve, reject) => {
      worker.on('message', (m: TagWorkerReply) => {
        if ('ready' in m) resolve();
        else onReply(this, m);
      });
      worker.on('error', (e) => {
        reject(e);
        onFail(this, e);
      });
      worker.on('exit', (code) => {
        const e = new Error(`tagging worker exited with code ${code}`);
        reject(e);
        onFail(this, e);
      });
    });
  }
}

class WorkerPool implements TaggerPool {
  readonly threads: number;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private failure: Error | null = null;

  constructor(
    readonly info: TaggerInfo,
    source: PoolSource,
    threads: number,
  ) {
    this.threads = threads;
    this.slots = [];
    for (let i = 0; i < threads; i++) {
      const worker = startWorker({ model: source.model, kernels: source.kernels });
      this.slots.push(
        new Slot(
          worker,
          (slot, reply) => this.onReply(slot, reply),
          (slot, e) => this.onFail(slot, e),
        ),
      );
    }
  }

  async ready(): Promise<void> {
    try {
      await Promise.all(this.slots.map((s) => s.readyPromise));
    } catch (e) {
      await this.close();
      throw new Error(`tagging workers failed to start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  tagMany(texts: string[], options: TagOptions): Promise<TagResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the tagging pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, texts, options, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job !== null) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      const request: TagWorkerRequest = { id: job.id, texts: job.texts, options: job.options };
      slot.worker.postMessage(request);
    }
  }

  private onReply(slot: Slot, reply: TagWorkerReply): void {
    const job = slot.job;
    if (job === null || job.id !== reply.id) return;
    slot.job = null;
    if ('error' in reply) job.reject(new Error(reply.error));
    else job.resolve((reply as { results: TagResult[] }).results);
    this.dispatch();
  }

  private onFail(slot: Slot, e: Error): void {
    if (this.closing) return;
    // a dead worker: fail its job and everything queued (the run reports them), refuse new jobs
    this.failure = new Error(`a tagging worker stopped: ${e.message}`);
    if (slot.job) slot.job.reject(this.failure);
    slot.job = null;
    for (const job of this.queue.splice(0)) job.reject(this.failure);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
