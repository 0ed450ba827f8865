/**
 * A tagging worker (started by pool.ts): builds its own tagger from workerData, then answers
 * `{ id, texts, options }` with `{ id, results }` (or `{ id, error }`: the error's class and message, which
 * never quote the text).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createTagger } from '../../../tagger.js';
import type { TagWorkerInit, TagWorkerReply, TagWorkerRequest } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const init = workerData as TagWorkerInit;
const tagger = await createTagger({ model: init.model, kernels: init.kernels });

port.on('message', (request: TagWorkerRequest) => {
  let reply: TagWorkerReply;
  try {
    reply = { id: request.id, results: tagger.tagMany(request.texts, request.options) };
  } catch (e) {
    reply = { id: request.id, error: e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error' };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ready: true } satisfies TagWorkerReply);
