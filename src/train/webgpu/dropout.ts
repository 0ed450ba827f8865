/**
 * Inverted dropout on the GPU with the (seed, key) semantics of `dropout_mask` (assembly/train/ops.ts): the same
 * integer hash gives bit-identical masks, so a sentence's mask does not depend on the backend either.
 *
 * Shapes (M = T·B rows, time-major: row t·B + b): lengths i32 [B] · keys i32 [B] (a stable key per sentence)
 *   mask [M, D] ← 0 with probability p, else 1/(1 − p); rows past a sentence's end are 0
 *   Y [M, D] *= mask (in place, as graph.ts applies it after each BiLSTM layer; the mask is kept for backward)
 * The draw for (key, step t, unit d): kh = mix(seed ^ mix(key·0x9e3779b1 + 0x632be5ab)),
 * th = mix(kh ^ (t·0x85ebca77 + 0x165667b1)), keep when mix(th + d·0xc2b2ae3d) >> 8 ≥ p·2²⁴.
 * `backward`: dY [M, D] *= mask.
 */

import type { GpuContext } from './context.js';
import { f32Bits } from './context.js';
import { GROUP, gridGroups } from './reduce.js';

const WGSL = /* wgsl */ `
struct Params { B: u32, T: u32, D: u32, seed: u32, threshold: u32, scale: f32, groups: u32, n: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> lengths: array<i32>;     // [B]
@group(0) @binding(2) var<storage, read> keys: array<i32>;        // [B]
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;  // [T·B, D]
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;     // [T·B, D]

// lowbias32 (Chris Wellons), as mix32 in assembly/train/ops.ts; u32 arithmetic wraps like the wasm's
fn mix32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

@compute @workgroup_size(${GROUP})
fn apply(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let B = u.B;
  let D = u.D;
  for (var i = wid.x * ${GROUP}u + lid.x; i < u.T * B * D; i += u.groups * ${GROUP}u) {
    let m = i / D;       // row t·B + b
    let d = i % D;
    let t = m / B;
    let b = m % B;
    var x = 0.0;
    if (i32(t) < lengths[b]) {
      let kh = mix32(u.seed ^ mix32(bitcast<u32>(keys[b]) * 0x9e3779b1u + 0x632be5abu));
      let th = mix32(kh ^ (t * 0x85ebca77u + 0x165667b1u));
      if ((mix32(th + d * 0xc2b2ae3du) >> 8u) >= u.threshold) { x = u.scale; }
    }
    mask[i] = x;
    Y[i] = Y[i] * x;
  }
}
`;

const BACKWARD = /* wgsl */ `
struct Params { B: u32, T: u32, D: u32, seed: u32, threshold: u32, scale: f32, groups: u32, n: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> mask: array<f32>;       // [n]
@group(0) @binding(2) var<storage, read_write> dY: array<f32>;   // [n]

@compute @workgroup_size(${GROUP})
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  for (var i = wid.x * ${GROUP}u + lid.x; i < u.n; i += u.groups * ${GROUP}u) { dY[i] = dY[i] * mask[i]; }
}
`;

/** The 24-bit threshold and the 1/(1 − p) scale of dropout_mask for p, computed in f32 as the wasm does. */
export function dropoutConstants(p: number): { threshold: number; scale: number } {
  const pf = Math.fround(p); // the kernel's p: f32
  const keep = Math.fround(1 - pf);
  return { threshold: Math.trunc(pf * 16777216) >>> 0, scale: keep > 0 ? Math.fround(1 / keep) : 0 };
}

export interface DropoutInputs {
  /** layer output [T·B, D], multiplied by the mask in place */
  Y: GPUBuffer;
  /** mask [T·B, D], written */
  mask: GPUBuffer;
  /** sentence lengths and keys, i32 [B] */
  lengths: GPUBuffer;
  keys: GPUBuffer;
  B: number;
  T: number;
  /** dropout probability in [0, 1) */
  p: number;
  /** this mask's seed (u32) */
  seed: number;
}

export class Dropout {
  constructor(
    private readonly ctx: GpuContext,
    /** units per row */
    readonly D: number,
  ) {
    if (!(Number.isInteger(D) && D >= 1)) throw new Error(`Dropout: expected units ≥ 1, got ${D}`);
  }

  /** mask ← dropout_mask(lengths, keys, T, B, D, p, seed); Y *= mask. */
  encode(encoder: GPUCommandEncoder, a: DropoutInputs): void {
    const { B, T, p } = a;
    if (!(Number.isInteger(B) && B >= 0 && Number.isInteger(T) && T >= 0))
      throw new Error(`Dropout: expected B, T ≥ 0, got ${B}, ${T}`);
    if (!(p >= 0 && p < 1)) throw new Error(`dropout: expected a probability in [0, 1), got ${p}`);
    if (!(Number.isInteger(a.seed) && a.seed >= 0 && a.seed <= 0xffffffff))
      throw new Error(`Dropout: expected a u32 seed, got ${a.seed}`);
    const n = T * B * this.D;
    const { threshold, scale } = dropoutConstants(p);
    const groups = gridGroups(n);
    // the seed changes every step: a uniform of its own, not one of the context's cached `params`
    const u = this.ctx.uniform(
      'dropout.params',
      Uint32Array.of(B, T, this.D, a.seed, threshold, f32Bits(scale), groups, n),
    );
    const pipe = this.ctx.pipeline('dropout', WGSL, 'apply');
    this.ctx.dispatch(encoder, pipe, [u, a.lengths, a.keys, a.mask, a.Y], groups);
  }

  /** dY [rows, D] *= mask (the gradient through the dropout of encode). */
  encodeBackward(encoder: GPUCommandEncoder, a: { dY: GPUBuffer; mask: GPUBuffer; rows: number }): void {
    if (!(Number.isInteger(a.rows) && a.rows >= 0)) throw new Error(`Dropout: expected rows ≥ 0, got ${a.rows}`);
    const n = a.rows * this.D;
    const groups = gridGroups(n);
    const u = this.ctx.params([0, 0, this.D, 0, 0, 0, groups, n]);
    this.ctx.dispatch(encoder, this.ctx.pipeline('dropout-backward', BACKWARD, 'backward'), [u, a.mask, a.dY], groups);
  }
}
