/**
 * The WebGPU training backend (issue 15): WebGpuBackend, a TrainingBackend whose every step runs as WGSL compute
 * shaders through the optional package `webgpu` (Dawn). Pieces: adapter.ts (finding an adapter), context.ts (the
 * device, buffers, pipelines), matmul.ts, embed.ts, lstm.ts, dense.ts (the network), crf.ts, softmax.ts,
 * dropout.ts, adam.ts, ema.ts, reduce.ts (losses, optimiser, averages), backend.ts (the whole step).
 */
export { type WebGpuAdapter, findWebGpuAdapter, requireWebGpuAdapter } from './adapter.js';
export { WebGpuBackend, type WebGpuBackendOptions, createWebGpuBackend } from './backend.js';
export { GpuContext } from './context.js';
