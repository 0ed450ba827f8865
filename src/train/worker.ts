/**
 * A training worker thread (started by src/train/parallel.ts): its own train.wasm instance computes loss and
 * gradients for its share of each mini-batch. Parameters arrive through a SharedArrayBuffer written by the
 * coordinator (copied in when their version changes); accumulated gradients go out through this worker's own
 * SharedArrayBuffer slot after every forward–backward.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type Sentence, prepareBatch } from './batch.js';
import { ParameterStore, lengthChunks, DECODE_CHUNK } from './backend.js';
import { ModelGraph } from './graph.js';
import { TrainKernels } from './kernels.js';
import { ParamLayout } from './params.js';
import type { WorkerInit, WorkerRequest, WorkerReply } from './parallel.js';

const init = workerData as WorkerInit;
const layout = new ParamLayout(init.arch);
const kernels = new TrainKernels(init.module);
const store = new ParameterStore(kernels, layout, false);
const graph = new ModelGraph(kernels, layout, store.params, store.grads);
const sharedParams = new Float32Array(init.params); // [total]
const sharedGrads = new Float32Array(init.grads); // [total] this worker's slot
let paramsVersion = -1;
let gradEpoch = -1;

function syncParams(version: number): void {
  if (version !== paramsVersion) {
    store.paramView().set(sharedParams);
    paramsVersion = version;
  }
}

function handle(msg: WorkerRequest): WorkerReply {
  switch (msg.type) {
    case 'forwardBackward': {
      syncParams(msg.version);
      if (msg.gradEpoch !== gradEpoch) {
        store.zeroGrad();
        gradEpoch = msg.gradEpoch;
      }
      const batch = prepareBatch(msg.sentences as Sentence[], layout.arch, msg.keys);
      const loss = graph.forwardBackward(batch, { dropout: msg.dropout, seed: msg.seed });
      sharedGrads.set(store.gradView());
      return { id: msg.id, type: 'forwardBackward', loss, chars: batch.chars, sentences: batch.B };
    }
    case 'decode': {
      syncParams(msg.version);
      const sentences = msg.sentences as Sentence[];
      const paths: Int32Array[] = new Array(sentences.length);
      for (const chunk of lengthChunks(sentences, DECODE_CHUNK)) {
        const res = graph.decode(prepareBatch(chunk.map((i) => sentences[i]), layout.arch));
        chunk.forEach((i, j) => (paths[i] = res[j]));
      }
      return { id: msg.id, type: 'decode', paths };
    }
  }
}

parentPort!.on('message', (msg: WorkerRequest) => {
  try {
    parentPort!.postMessage(handle(msg));
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
  }
});
