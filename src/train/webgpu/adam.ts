/**
 * The optimiser step on the GPU, as ParameterStore.update (src/train/backend.ts) with the wasm `adam` kernel
 * (assembly/train/ops.ts): on the accumulated gradient g [n] of a mini-batch of `batchSize` sentences,
 *   gradNorm = ‖g‖₂ / batchSize; clipped = clip > 0 and gradNorm > clip
 *   gscale = clipped ? clip / (batchSize · gradNorm) : 1 / batchSize
 *   per element: g' = gscale·g; m = β1 m + (1 − β1) g'; v = β2 v + (1 − β2) g'²;
 *                p −= (lr / bc1) · m / (sqrt(v · (1 / bc2)) + ε); g = 0
 * with bc1 = 1 − β1^step, bc2 = 1 − β2^step. Three dispatches, no readback: SumReduce (‖g‖² into scratch),
 * `clip` (one thread: the norm, the scale, stats[statsIndex..+2] ← [gradNorm, clipped ? 1 : 0]) and `update`.
 * When the norm is not finite the update leaves p, m, v and g as they were; readUpdateResult then throws, as
 * ParameterStore.update does before it touches anything.
 */

import { type AdamOptions, type UpdateResult, validateAdam } from '../backend.js';
import type { GpuContext } from './context.js';
import { f32Bits } from './context.js';
import { GROUP, SumReduce, gridGroups } from './reduce.js';

/** Floats the step writes to the stats buffer: [gradNorm, clipped (0 / 1)]. */
export const ADAM_STATS = 2;

const CLIP = /* wgsl */ `
struct Params { invBatch: f32, clip: f32, statsIndex: u32, pad: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> scratch: array<f32>; // [0] ‖g‖² in; [1] gscale, [2] 1 = finite out
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;   // [statsIndex] gradNorm, [+1] clipped

fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

@compute @workgroup_size(1)
fn clip() {
  let norm = sqrt(scratch[0]) * u.invBatch;
  let clipped = u.clip > 0.0 && norm > u.clip;
  var gscale = u.invBatch;
  if (clipped) { gscale = u.invBatch * u.clip / norm; }
  scratch[1] = gscale;
  scratch[2] = select(0.0, 1.0, finite(norm));
  stats[u.statsIndex] = norm;
  stats[u.statsIndex + 1u] = select(0.0, 1.0, clipped);
}
`;

const UPDATE = /* wgsl */ `
struct Params {
  n: u32, groups: u32,
  lrc: f32,            // lr / bc1
  b1: f32, b2: f32,
  b1c: f32, b2c: f32,  // 1 − β1, 1 − β2
  ibc2: f32,           // 1 / bc2
  eps: f32, pad0: u32, pad1: u32, pad2: u32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> scratch: array<f32>;   // [1] gscale, [2] finite
@group(0) @binding(2) var<storage, read_write> p: array<f32>;   // [n] parameters
@group(0) @binding(3) var<storage, read_write> g: array<f32>;   // [n] accumulated gradients, zeroed
@group(0) @binding(4) var<storage, read_write> m: array<f32>;   // [n] first moments
@group(0) @binding(5) var<storage, read_write> v: array<f32>;   // [n] second moments

@compute @workgroup_size(${GROUP})
fn update(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  if (scratch[2] == 0.0) { return; }
  let gscale = scratch[1];
  for (var i = wid.x * ${GROUP}u + lid.x; i < u.n; i += u.groups * ${GROUP}u) {
    let gr = g[i] * gscale;
    let mm = u.b1 * m[i] + u.b1c * gr;
    let vv = u.b2 * v[i] + u.b2c * (gr * gr);
    m[i] = mm;
    v[i] = vv;
    p[i] = p[i] - (u.lrc * mm) / (sqrt(vv * u.ibc2) + u.eps);
    g[i] = 0.0;
  }
}
`;

export interface AdamInputs {
  /** flat parameters, gradients, first and second moments, each f32 [n] */
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** stats[statsIndex..+2] ← [gradNorm, clipped] */
  stats: GPUBuffer;
  statsIndex: number;
  adam: AdamOptions;
  /** the step this update makes, from 1 (bias correction) */
  step: number;
  /** sentences in the mini-batch (the gradient is their sum) */
  batchSize: number;
}

export class AdamStep {
  private readonly scratch: GPUBuffer;
  private readonly norm: SumReduce;

  constructor(
    private readonly ctx: GpuContext,
    /** parameters */
    readonly n: number,
  ) {
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`AdamStep: expected n ≥ 1 parameters, got ${n}`);
    this.scratch = ctx.f32('adam.scratch', 4);
    this.norm = new SumReduce(ctx);
  }

  encode(encoder: GPUCommandEncoder, a: AdamInputs): void {
    validateAdam(a.adam);
    if (!(a.batchSize > 0)) throw new Error(`step: expected a batch size > 0, got ${a.batchSize}`);
    if (!(Number.isInteger(a.step) && a.step >= 1)) throw new Error(`AdamStep: expected a step ≥ 1, got ${a.step}`);
    for (const b of [a.params, a.grads, a.m, a.v]) {
      if (b.size < 4 * this.n) throw new Error(`AdamStep: ${b.label} holds ${b.size} bytes, expected ${4 * this.n}`);
    }
    const ctx = this.ctx;
    const { lr, beta1, beta2, eps, clip } = a.adam;
    this.norm.encode(encoder, { x: a.grads, n: this.n, out: this.scratch, outIndex: 0, square: true });
    const uc = ctx.params([f32Bits(1 / a.batchSize), f32Bits(clip), a.statsIndex, 0]);
    ctx.dispatch(encoder, ctx.pipeline('adam-clip', CLIP, 'clip'), [uc, this.scratch, a.stats], 1);
    // the constants as the wasm kernel forms them from its f32 arguments
    const f = Math.fround;
    const bc1 = f(1 - beta1 ** a.step);
    const bc2 = f(1 - beta2 ** a.step);
    const groups = gridGroups(this.n);
    // bc1, bc2 change every step: a uniform of its own, not one of the context's cached `params`
    const uu = ctx.uniform(
      'adam.params',
      Uint32Array.of(
        this.n,
        groups,
        f32Bits(f(f(lr) / bc1)),
        f32Bits(beta1),
        f32Bits(beta2),
        f32Bits(f(1 - f(beta1))),
        f32Bits(f(1 - f(beta2))),
        f32Bits(f(1 / bc2)),
        f32Bits(eps),
        0,
        0,
        0,
      ),
    );
    const update = ctx.pipeline('adam-update', UPDATE, 'update');
    ctx.dispatch(encoder, update, [uu, this.scratch, a.params, a.grads, a.m, a.v], groups);
  }
}

/** The UpdateResult of stats[offset..+2] as AdamStep wrote them; throws when the norm is not finite (diverged). */
export function readUpdateResult(stats: Float32Array, offset = 0): UpdateResult {
  const gradNorm = stats[offset];
  if (!Number.isFinite(gradNorm)) throw new Error(`step: gradient norm is ${gradNorm} (diverged)`);
  return { gradNorm, clipped: stats[offset + 1] === 1 };
}
