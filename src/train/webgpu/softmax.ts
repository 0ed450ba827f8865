/**
 * Token-level softmax cross-entropy (the crf = false baseline) on the GPU: the semantics of `softmax_xent`
 * (assembly/train/crf.ts), in f32.
 *
 * Shapes (M = T·B rows, time-major: row t·B + b):
 *   E [M, K] emissions · tags i32 [M] · lengths i32 [B]
 *   dE [M, K] ← softmax(E_m) − one-hot(tag_m) for running rows (t < lengths[b]), 0 past each end, written
 *   loss[lossIndex] ← Σ over running rows of −log softmax(E_m)[tag_m]
 * `xent`: one thread per row writes dE and the row's loss into rowLoss [M]; SumReduce then sums rowLoss.
 */

import type { GpuContext } from './context.js';
import { GROUP, SumReduce, gridGroups } from './reduce.js';

const WGSL = /* wgsl */ `
struct Params { B: u32, T: u32, K: u32, groups: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> E: array<f32>;             // [T·B, K]
@group(0) @binding(2) var<storage, read> tags: array<i32>;          // [T·B]
@group(0) @binding(3) var<storage, read> lengths: array<i32>;       // [B]
@group(0) @binding(4) var<storage, read_write> dE: array<f32>;      // [T·B, K]
@group(0) @binding(5) var<storage, read_write> rowLoss: array<f32>; // [T·B]

@compute @workgroup_size(${GROUP})
fn xent(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let B = u.B;
  let K = u.K;
  for (var m = wid.x * ${GROUP}u + lid.x; m < u.T * B; m += u.groups * ${GROUP}u) {
    let t = m / B;
    let b = m % B;
    let e = m * K;
    if (i32(t) >= lengths[b]) {
      for (var k = 0u; k < K; k++) { dE[e + k] = 0.0; }
      rowLoss[m] = 0.0;
      continue;
    }
    let y = u32(tags[m]);
    var mx = E[e];
    for (var k = 1u; k < K; k++) { mx = max(mx, E[e + k]); }
    var s = 0.0;
    for (var k = 0u; k < K; k++) { s += exp(E[e + k] - mx); }
    let logS = log(s);
    rowLoss[m] = logS + mx - E[e + y];
    for (var k = 0u; k < K; k++) {
      var g = exp(E[e + k] - mx - logS);
      if (k == y) { g -= 1.0; }
      dE[e + k] = g;
    }
  }
}
`;

export interface SoftmaxInputs {
  /** emissions [T·B, K] */
  E: GPUBuffer;
  /** gold tag ids i32 [T·B] */
  tags: GPUBuffer;
  /** sentence lengths i32 [B], each ≤ T */
  lengths: GPUBuffer;
  /** ∂loss/∂E [T·B, K], written */
  dE: GPUBuffer;
  /** loss[lossIndex] ← Σ of the rows' cross-entropy */
  loss: GPUBuffer;
  lossIndex: number;
  B: number;
  T: number;
}

export class SoftmaxXent {
  private rowLoss: GPUBuffer | null = null;
  private readonly sum: SumReduce;

  constructor(
    private readonly ctx: GpuContext,
    readonly K: number,
  ) {
    if (!(Number.isInteger(K) && K >= 1)) throw new Error(`SoftmaxXent: expected tags ≥ 1, got ${K}`);
    this.sum = new SumReduce(ctx);
  }

  encode(encoder: GPUCommandEncoder, a: SoftmaxInputs): void {
    const { B, T } = a;
    if (!(Number.isInteger(B) && B >= 0 && Number.isInteger(T) && T >= 0))
      throw new Error(`SoftmaxXent: expected B, T ≥ 0, got ${B}, ${T}`);
    const M = T * B;
    if (!this.rowLoss || this.rowLoss.size < 4 * M) this.rowLoss = this.ctx.f32('softmax.rowLoss', M);
    const groups = gridGroups(M);
    const u = this.ctx.params([B, T, this.K, groups]);
    const pipe = this.ctx.pipeline('softmax', WGSL, 'xent');
    this.ctx.dispatch(encoder, pipe, [u, a.E, a.tags, a.lengths, a.dE, this.rowLoss], groups);
    this.sum.encode(encoder, { x: this.rowLoss, n: M, out: a.loss, outIndex: a.lossIndex });
  }
}
