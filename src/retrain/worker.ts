/**
 * Worker-thread entry of the retraining job's trainer (started by `trainInWorker` in ./train-thread.ts): runs
 * runTraining with the options it is given and posts back its log lines, then the summary or the error.
 * Node only. Training runs here so the job's main thread stays responsive for hours: it renews the store lock,
 * and on SIGINT / SIGTERM it stops this thread, releases the lock and writes its report.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTraining, type RunOptions } from '../train/run.js';

export type TrainWorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'done'; summary: unknown }
  | { type: 'error'; name: string; message: string };

const port = parentPort;
if (!port) throw new Error('src/retrain/worker.ts must run in a worker thread');
const options = workerData as Omit<RunOptions, 'log'>;

runTraining({ ...options, log: (line) => port.postMessage({ type: 'log', line } satisfies TrainWorkerMessage) }).then(
  (summary) => port.postMessage({ type: 'done', summary } satisfies TrainWorkerMessage),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ type: 'error', name: err.name, message: err.message } satisfies TrainWorkerMessage);
  },
);
