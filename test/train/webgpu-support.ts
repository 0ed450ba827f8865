/** Shared by the WebGPU trainer tests: the skip reason, one GpuContext per test file, and value comparisons. */
import { findWebGpuAdapter, webgpuSkipReason } from '../../src/train/webgpu/adapter.js';
import { GpuContext } from '../../src/train/webgpu/context.js';
import { Rng } from '../../src/train/rng.js';

/** null when a WebGPU adapter can be had, else why the WebGPU tests skip (printed once per file). */
export async function gpuSkip(file: string): Promise<string | null> {
  const reason = await webgpuSkipReason();
  if (reason) console.warn(`${file}: skipped: ${reason}`);
  return reason;
}

export async function newContext(): Promise<GpuContext> {
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') throw new Error(found);
  return GpuContext.create(found.adapter);
}

export function randomF32(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

/**
 * Largest |got - want| / (|want| + floor) over the vectors, floor = floorFrac · max |want| (default 1 %): a
 * relative error that does not blow up on the entries near zero that a sum of many terms of both signs leaves
 * (their f32 rounding noise is relative to the terms, about the vector's scale, not to the tiny result; e.g. an
 * embedding-gradient entry 1.3e-4 in a tensor whose largest is 0.14 differs by 7e-8 between two summation orders).
 */
export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>, floorFrac = 1e-2): number {
  if (got.length !== want.length) throw new Error(`maxRelError: lengths differ (${got.length} vs ${want.length})`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const floor = floorFrac * scale + 1e-30;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + floor);
    if (Number.isNaN(e)) return Infinity;
    if (e > worst) worst = e;
  }
  return worst;
}
