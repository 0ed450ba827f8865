/**
 * The moving average of the weights on the GPU, as foldAverage (src/train/ema.ts): after optimiser step t
 * (steps before it, from 0) ema[i] = d·ema[i] + (1 − d)·params[i] with d = emaDecay(decay, t) =
 * min(decay, (1 + t) / (10 + t)); d and 1 − d are formed in f64 on the CPU and passed as f32.
 * Shapes: ema, params f32 [n] (the flat layout of src/train/params.ts).
 */

import { emaDecay } from '../ema.js';
import type { GpuContext } from './context.js';
import { f32Bits } from './context.js';
import { GROUP, gridGroups } from './reduce.js';

const WGSL = /* wgsl */ `
struct Params { n: u32, groups: u32, d: f32, rest: f32 }  // rest = 1 − d
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;   // [n]
@group(0) @binding(2) var<storage, read_write> ema: array<f32>; // [n]

@compute @workgroup_size(${GROUP})
fn average(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  for (var i = wid.x * ${GROUP}u + lid.x; i < u.n; i += u.groups * ${GROUP}u) {
    ema[i] = u.d * ema[i] + u.rest * params[i];
  }
}
`;

export class EmaUpdate {
  constructor(
    private readonly ctx: GpuContext,
    /** parameters */
    readonly n: number,
    /** the long-run decay (0 < decay < 1) */
    readonly decay: number,
  ) {
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`EmaUpdate: expected n ≥ 1 parameters, got ${n}`);
    if (!(decay > 0 && decay < 1)) throw new RangeError(`Ema: expected 0 < decay < 1, got ${decay}`);
  }

  /** Folds params into ema after optimiser step `step` (steps before it, from 0). */
  encode(encoder: GPUCommandEncoder, a: { ema: GPUBuffer; params: GPUBuffer; step: number }): void {
    if (!(Number.isInteger(a.step) && a.step >= 0)) throw new Error(`EmaUpdate: expected a step ≥ 0, got ${a.step}`);
    for (const b of [a.ema, a.params]) {
      if (b.size < 4 * this.n) throw new Error(`EmaUpdate: ${b.label} holds ${b.size} bytes, expected ${4 * this.n}`);
    }
    const d = emaDecay(this.decay, a.step);
    const groups = gridGroups(this.n);
    // d changes every step of the warm-up: a uniform of its own, not one of the context's cached `params`
    const u = this.ctx.uniform('ema.params', Uint32Array.of(this.n, groups, f32Bits(d), f32Bits(1 - d)));
    this.ctx.dispatch(encoder, this.ctx.pipeline('ema', WGSL, 'average'), [u, a.params, a.ema], groups);
  }
}
