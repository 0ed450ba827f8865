/**
 * The retraining job's trainer: runTraining in a worker thread (./worker.ts), so the job's main thread stays free to
 * renew the store lock and to handle signals while a long training runs. Node only.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../io/worker-thread.js';
import type { RunOptions, RunSummary } from '../train/run.js';
import type { TrainWorkerMessage } from './worker.js';

/** The run was stopped through its AbortSignal (SIGINT / SIGTERM in the CLI). */
export class RetrainInterruptedError extends Error {
  constructor() {
    super('interrupted (signal): stopped before publishing');
    this.name = 'RetrainInterruptedError';
  }
}

/**
 * runTraining in a worker thread (./worker.ts): the calling thread stays free to renew the lock and to
 * handle signals while a long training runs. Aborting `signal` terminates the thread and rejects with
 * RetrainInterruptedError; a crash of the thread rejects with its error.
 */
export function trainInWorker(options: RunOptions, signal?: AbortSignal): Promise<RunSummary> {
  const { log, ...data } = options;
  if (signal?.aborted) return Promise.reject(new RetrainInterruptedError());
  const worker = startTrainWorker(data);
  return new Promise<RunSummary>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(new RetrainInterruptedError()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'log') log?.(m.line);
      else if (m.type === 'done') settle(() => resolve(m.summary as RunSummary));
      else {
        const e = new Error(m.message);
        e.name = m.name;
        settle(() => reject(e));
      }
    });
    worker.on('error', (e) => settle(() => reject(e instanceof Error ? e : new Error(String(e)))));
    worker.on('exit', (code) => settle(() => reject(new Error(`the training thread exited (code ${code}) without a result`))));
  }).finally(() => void worker.terminate());
}

function startTrainWorker(data: Omit<RunOptions, 'log'>): Worker {
  return startModuleWorker(import.meta.url, './worker', data);
}
