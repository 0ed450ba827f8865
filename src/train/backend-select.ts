/**
 * The one place a training backend is chosen (TrainConfig.backend, `cner train --backend`):
 *   'wasm'   the SIMD kernels on the CPU: WasmBackend in this thread (workers = 1) or ParallelBackend (workers > 1);
 *   'webgpu' the GPU through WebGPU (src/train/webgpu/); any adapter, a software one too (lavapipe: slow, for tests);
 *            no adapter is an error that says why;
 *   'auto'   WebGPU when the adapter is a real GPU, else wasm (with the config's workers) — and the choice says why.
 */

import type { TrainingBackend } from './backend.js';
import { WasmBackend } from './backend.js';
import { TRAINING_BACKENDS, type TrainingBackendKind } from './config.js';
import { ParallelBackend } from './parallel.js';
import type { ParamLayout } from './params.js';
import { type WebGpuAdapter, findWebGpuAdapter, probeWebGpuAdapter } from './webgpu/adapter.js';

/** A backend and what it runs on, for the run's log, its model card and its report. */
export interface ChosenBackend {
  backend: TrainingBackend;
  kind: 'wasm' | 'webgpu';
  /** what it runs on: "wasm, 2 workers" or "webgpu: NVIDIA H200 (nvidia, hopper)"; a software adapter says so */
  name: string;
  /** the WebGPU adapter's name (webgpu only) */
  adapter?: string;
  /** why 'auto' chose wasm (no adapter, or a software one) */
  note?: string;
}

interface BackendSelectOptions {
  backend: TrainingBackendKind;
  /** worker threads of the wasm backend (1 = this thread) */
  workers: number;
  /** the run's seed (the WebGPU backend's dropout stream) */
  seed?: number;
}

/** The wasm backend: WasmBackend in this thread (workers ≤ 1) or ParallelBackend over worker threads. */
export async function createWasmBackend(layout: ParamLayout, workers: number): Promise<TrainingBackend> {
  return workers <= 1 ? new WasmBackend(layout) : ParallelBackend.create(layout, { workers });
}

async function wasmChoice(layout: ParamLayout, workers: number, note?: string): Promise<ChosenBackend> {
  const name = workers <= 1 ? 'wasm, 1 thread' : `wasm, ${workers} workers`;
  return { backend: await createWasmBackend(layout, workers), kind: 'wasm', name, ...(note ? { note } : {}) };
}

async function webgpuChoice(layout: ParamLayout, found: WebGpuAdapter, seed?: number): Promise<ChosenBackend> {
  // loaded on use, so that a wasm run never loads the WebGPU backend
  const { createWebGpuBackend } = await import('./webgpu/backend.js');
  const backend = await createWebGpuBackend(layout, { adapter: found.adapter, seed });
  const software = found.software && !/\bsoftware\b/i.test(found.name) ? ' (software)' : ''; // said once
  return { backend, kind: 'webgpu', name: `webgpu: ${found.name}${software}`, adapter: found.name };
}

/** The backend `options.backend` names (see the file header); throws when 'webgpu' has no adapter, with the reason. */
export async function createTrainingBackend(
  layout: ParamLayout,
  options: BackendSelectOptions,
): Promise<ChosenBackend> {
  const { backend: kind, workers } = options;
  if (!(TRAINING_BACKENDS as readonly string[]).includes(kind)) {
    throw new Error(
      `backend must be ${TRAINING_BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  if (!(Number.isInteger(workers) && workers >= 1))
    throw new Error(`backend: workers must be an integer ≥ 1, got ${JSON.stringify(workers)}`);
  if (kind === 'wasm') return wasmChoice(layout, workers);
  if (kind === 'webgpu') {
    const found = await findWebGpuAdapter();
    if (typeof found === 'string') throw new Error(`backend webgpu: ${found}`);
    return webgpuChoice(layout, found, options.seed);
  }
  // 'auto': look first in a child process, so that a run that stays on wasm never loads Dawn here
  const probe = await probeWebGpuAdapter();
  if (typeof probe === 'string') return wasmChoice(layout, workers, `auto: ${probe}`);
  if (probe.software)
    return wasmChoice(layout, workers, `auto: the WebGPU adapter ${probe.name} is a software one (slower than wasm)`);
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') return wasmChoice(layout, workers, `auto: ${found}`);
  return webgpuChoice(layout, found, options.seed);
}
