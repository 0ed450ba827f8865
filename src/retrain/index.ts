/**
 * The retraining wing (Node only): `cner retrain --config FILE` as a library. The steps of a run, each in its own
 * file: config → sources → fingerprint → scratch → (train-thread → worker) → scores → report, driven by run.ts.
 * ./worker.ts is a worker thread's entry and is not re-exported.
 */
export * from './config.js';
export * from './sources.js';
export * from './fingerprint.js';
export * from './scores.js';
export * from './scratch.js';
export * from './train-thread.js';
export * from './report.js';
export * from './run.js';
