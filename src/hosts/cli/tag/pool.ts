/**
 * Where `cner tag` and `cner serve` run the tagger: in this thread (one tagger), or spread over worker threads (each
 * worker builds its own tagger from the same model bytes and compiled kernels). Jobs are groups of documents; a job
 * goes to the first idle worker, and the caller gets one promise per job, so it can keep its output in order.
 *
 * For a server (PoolOptions): the queue is bounded (PoolBusyError when full, never for a job that starts at once);
 * jobs costing more than `largeCost` are large: at most max(1, threads − 1) of them run at once and small jobs pass
 * the large ones that wait for a lane, so one thread stays free for small work; a job still queued at its deadline or after its
 * signal aborted is dropped unrun (PoolDeadlineError, PoolAbortedError). drain() waits for the work in hand.
 *
 * A worker that dies (uncaught error, out of memory, killed) fails only the job it was running; a fresh worker takes
 * its slot and the queue goes on. A crash loop (more than MAX_CRASHES deaths per thread in a minute) stops the pool.
 */
import { startModuleWorker } from '../../../io/worker-thread.js';
import { Worker } from 'node:worker_threads';
import { createTagger, type TagOptions, type TagResult, type Tagger, type TaggerInfo } from '../../../tagger.js';

export interface TaggerPool {
  readonly threads: number;
  readonly info: TaggerInfo;
  tagMany(texts: string[], options: TagOptions, job?: JobOptions): Promise<TagResult[]>;
  /** resolves when nothing is queued or running */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** What a caller may say about one job. */
export interface JobOptions {
  /** its size for scheduling (e.g. characters × k); default: the characters of its texts */
  cost?: number;
  /** Date.now() after which the job must not start */
  deadline?: number;
  /** aborted: the job is dropped if it has not started */
  signal?: AbortSignal;
}

export interface PoolOptions {
  /** use worker threads even for threads = 1 (a server never tags on its event loop) */
  offThread?: boolean;
  /** most jobs waiting for a thread (default: no bound) */
  maxQueue?: number;
  /** jobs costing more than this are large (default: none is) */
  largeCost?: number;
  /** most total cost of large jobs waiting (default: no bound) */
  maxQueuedCost?: number;
}

/** The queue is full: try again after `retryAfterSeconds`. */
export class PoolBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`the tagging queue is full; retry after ${retryAfterSeconds} s`);
    this.name = 'PoolBusyError';
  }
}

/** The job waited past its deadline and was not run. */
export class PoolDeadlineError extends Error {
  constructor() {
    super('the job waited past its deadline and was not run');
    this.name = 'PoolDeadlineError';
  }
}

/** The job's signal aborted before it started; it was not run. */
export class PoolAbortedError extends Error {
  constructor() {
    super('the job was aborted before it started');
    this.name = 'PoolAbortedError';
  }
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

/** threads = 1 (without options.offThread): the tagger runs in this thread; else `threads` workers. */
export async function createPool(source: PoolSource, threads: number, options: PoolOptions = {}): Promise<TaggerPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: expected an integer ≥ 1, got ${threads}`);
  for (const key of ['maxQueue', 'largeCost', 'maxQueuedCost'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && (Number.isInteger(v) || v === Infinity))) {
      throw new RangeError(`${key}: expected an integer ≥ 0, got ${String(v)}`);
    }
  }
  const local = await createTagger({ model: source.model, kernels: source.kernels });
  if (threads === 1 && !options.offThread) return new LocalPool(local);
  const pool = new WorkerPool(local.info, source, threads, options);
  await pool.ready();
  return pool;
}

function checkStart(job: JobOptions | undefined): void {
  if (job?.signal?.aborted) throw new PoolAbortedError();
  if (job?.deadline !== undefined && Date.now() > job.deadline) throw new PoolDeadlineError();
}

class LocalPool implements TaggerPool {
  readonly threads = 1;
  readonly info: TaggerInfo;
  constructor(private readonly tagger: Tagger) {
    this.info = tagger.info;
  }
  async tagMany(texts: string[], options: TagOptions, job?: JobOptions): Promise<TagResult[]> {
    checkStart(job);
    return this.tagger.tagMany(texts, options);
  }
  async drain(): Promise<void> {}
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
  cost: number;
  large: boolean;
  resolve: (r: TagResult[]) => void;
  reject: (e: Error) => void;
  /** removes the job's deadline timer and abort listener */
  release: () => void;
  started?: number;
}

/** a first guess of throughput (cost units per second) until jobs have been timed */
const INITIAL_RATE = 50_000;

class Slot {
  job: Job | null = null;
  /** the worker has built its tagger and takes jobs */
  ready = false;
  /** the worker stopped (error or exit); the pool replaces the slot */
  dead = false;
  readyPromise: Promise<void>;
  constructor(readonly worker: Worker, onReply: (slot: Slot, reply: TagWorkerReply) => void, onFail: (slot: Slot, e: Error) => void) {
    const fail = (e: Error) => {
      if (this.dead) return; // 'error' is followed by 'exit': one failure
      this.dead = true;
      onFail(this, e);
    };
    this.readyPromise = new Promise((resolve, reject) => {
      worker.on('message', (m: TagWorkerReply) => {
        if ('ready' in m) {
          this.ready = true;
          resolve();
        } else onReply(this, m);
      });
      worker.on('error', (e) => {
        reject(e);
        fail(e);
      });
      worker.on('exit', (code) => {
        const e = new Error(`tagging worker exited with code ${code}`);
        reject(e);
        fail(e);
      });
    });
    this.readyPromise.catch(() => {}); // a replacement's start failure is handled by onFail
  }
}

/** More worker deaths than this within CRASH_WINDOW_MS: the pool gives up (a crash loop, e.g. a bad model). */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

class WorkerPool implements TaggerPool {
  readonly threads: number;
  private readonly slots: Slot[];
  private queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private failure: Error | null = null;
  private readonly maxQueue: number;
  private readonly largeCost: number;
  private readonly maxQueuedCost: number;
  private readonly maxLargeRunning: number;
  private queuedLargeCost = 0;
  /** observed cost units per second per thread (moving average), for Retry-After */
  private rate = INITIAL_RATE;
  private drainWaiters: (() => void)[] = [];
  private readonly source: PoolSource;
  /** times of recent worker deaths (the crash-loop guard) */
  private crashes: number[] = [];
  /** workers started to replace dead ones */
  respawns = 0;

  constructor(
    readonly info: TaggerInfo,
    source: PoolSource,
    threads: number,
    options: PoolOptions,
  ) {
    this.threads = threads;
    this.maxQueue = options.maxQueue ?? Infinity;
    this.largeCost = options.largeCost ?? Infinity;
    this.maxQueuedCost = options.maxQueuedCost ?? Infinity;
    this.maxLargeRunning = Math.max(1, threads - 1);
    this.source = source;
    this.slots = [];
    for (let i = 0; i < threads; i++) this.slots.push(this.newSlot());
  }

  private newSlot(): Slot {
    const worker = startWorker({ model: this.source.model, kernels: this.source.kernels });
    return new Slot(
      worker,
      (slot, reply) => this.onReply(slot, reply),
      (slot, e) => this.onFail(slot, e),
    );
  }

  async ready(): Promise<void> {
    try {
      await Promise.all(this.slots.map((s) => s.readyPromise));
    } catch (e) {
      await this.close();
      throw new Error(`tagging workers failed to start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  tagMany(texts: string[], options: TagOptions, jobOptions?: JobOptions): Promise<TagResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the tagging pool is closed'));
    try {
      checkStart(jobOptions);
    } catch (e) {
      return Promise.reject(e);
    }
    const cost = jobOptions?.cost ?? texts.reduce((n, t) => n + t.length, 0);
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, texts, options, cost, large: cost > this.largeCost, resolve, reject, release: () => {} };
      this.watch(job, jobOptions);
      this.queue.push(job);
      if (job.large) this.queuedLargeCost += cost;
      this.dispatch();
      // refused only if it cannot start now and the queue is over a bound
      if (this.queue.includes(job) && (this.queue.length > this.maxQueue || (job.large && this.queuedLargeCost > this.maxQueuedCost))) {
        this.drop(job, new PoolBusyError(this.retryAfter()));
      }
    });
  }

  /** Arms the job's deadline timer and abort listener: either drops the job if it is still queued. */
  private watch(job: Job, options: JobOptions | undefined): void {
    const timer = options?.deadline !== undefined ? setTimeout(() => this.drop(job, new PoolDeadlineError()), Math.max(0, options.deadline - Date.now())) : null;
    const signal = options?.signal;
    const onAbort = () => this.drop(job, new PoolAbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    job.release = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** Takes a queued job out and rejects it (no effect once it started). */
  private drop(job: Job, e: Error): void {
    const i = this.queue.indexOf(job);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (job.large) this.queuedLargeCost -= job.cost;
    job.release();
    job.reject(e);
    this.settle();
  }

  /** Seconds until the work ahead of a new job is likely done: queued + running cost over the observed rate. */
  private retryAfter(): number {
    let cost = 0;
    for (const j of this.queue) cost += j.cost;
    for (const s of this.slots) if (s.job) cost += s.job.cost;
    return Math.max(1, Math.ceil(cost / (this.rate * this.threads)));
  }

  /**
   * The next job to start: the oldest one, passing over large jobs while threads − 1 large ones run (so one thread
   * stays free for small work; small jobs overtake only large ones that have to wait, and no large job starves).
   */
  private takeNext(): Job | null {
    const largeLaneFree = this.slots.filter((s) => s.job?.large).length < this.maxLargeRunning;
    const i = this.queue.findIndex((j) => !j.large || largeLaneFree);
    if (i < 0) return null;
    const job = this.queue.splice(i, 1)[0];
    if (job.large) this.queuedLargeCost -= job.cost;
    return job;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job !== null || !slot.ready) continue;
      const job = this.takeNext();
      if (job === null) return;
      job.release();
      slot.job = job;
      job.started = performance.now();
      const request: TagWorkerRequest = { id: job.id, texts: job.texts, options: job.options };
      slot.worker.postMessage(request);
    }
  }

  private onReply(slot: Slot, reply: TagWorkerReply): void {
    const job = slot.job;
    if (job === null || job.id !== reply.id) return;
    slot.job = null;
    const ms = performance.now() - (job.started ?? 0);
    if (ms > 1 && job.cost > 0) this.rate = 0.8 * this.rate + 0.2 * ((job.cost * 1000) / ms);
    if ('error' in reply) job.reject(new Error(reply.error));
    else job.resolve((reply as { results: TagResult[] }).results);
    this.dispatch();
    this.settle();
  }

  /**
   * A worker died (an uncaught error, out of memory, killed). Only the job it was running fails; the slot gets a
   * fresh worker and the queue goes on. Past MAX_CRASHES per thread within CRASH_WINDOW_MS the pool stops: every
   * queued and later job is refused with the reason.
   */
  private onFail(slot: Slot, e: Error): void {
    if (this.closing) return;
    const job = slot.job;
    slot.job = null;
    if (job) job.reject(new Error(`a tagging worker stopped while running this job: ${e.message}`));
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.crashes.push(now);
    if (this.failure || this.crashes.length > MAX_CRASHES * this.threads) {
      this.failure ??= new Error(`tagging workers keep stopping (${this.crashes.length} in ${CRASH_WINDOW_MS / 1000} s); last: ${e.message}`);
      for (const queued of this.queue.splice(0)) {
        queued.release();
        queued.reject(this.failure);
      }
      this.queuedLargeCost = 0;
      this.settle();
      return;
    }
    const i = this.slots.indexOf(slot);
    if (i >= 0) {
      const fresh = this.newSlot();
      this.slots[i] = fresh;
      void fresh.readyPromise.then(
        () => this.dispatch(),
        () => {}, // its own onFail counts the crash
      );
    }
    this.respawns++;
    this.settle();
  }

  /** Wakes drain() callers once nothing is queued or running. */
  private settle(): void {
    if (this.queue.length > 0 || this.slots.some((s) => s.job !== null)) return;
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.settle();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
