/**
 * Run by test/kernels/builds.test.ts in a fresh Node (V8 flags are per process): reports, as one JSON line, what
 * a host sees before and after src/io/artefacts.ts turns relaxed SIMD on.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { enableRelaxedSimd, preferredKernels, relaxedKernelsPath } from '../../src/io/artefacts.js';
import { chooseKernelBuild, loadInferenceKernels, relaxedSimdSupported } from '../../src/model/kernels.js';

const errorOf = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};
const relaxedBytes = new Uint8Array(readFileSync(relaxedKernelsPath()));
const before = {
  supported: relaxedSimdSupported(),
  auto: chooseKernelBuild('auto'),
  relaxedError: errorOf(() => chooseKernelBuild('relaxed')),
  loadError: await loadInferenceKernels(relaxedBytes).then(
    () => null,
    (e: Error) => e.message,
  ),
};
/** what the Node hosts load by default (CNER_KERNELS, else 'auto') */
const preferred = preferredKernels();
const enabled = enableRelaxedSimd();
/** a worker thread started now compiles the relaxed build too (the flag is per process, not per isolate) */
const workerCompiles = await new Promise((resolve, reject) => {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
parentPort.postMessage(WebAssembly.validate(workerData));`;
  new Worker(code, { eval: true, workerData: relaxedBytes }).once('message', resolve).once('error', reject);
});
const kernels = await loadInferenceKernels(relaxedBytes);
const after = {
  enabled,
  auto: chooseKernelBuild('auto'),
  workerCompiles,
  qmax: kernels.exports.q_max(64),
};
console.log(JSON.stringify({ before, preferred, after }));
