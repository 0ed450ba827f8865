/**
 * Sums over a vector on the GPU, and the grid every element-wise shader of this folder uses.
 *
 * SumReduce: out[outIndex] = Σ_i x[i] (or Σ_i x[i]², the squared L2 norm) over x: f32 [n], in two dispatches
 * of one shader (`sum`: each workgroup of 256 threads sums a strided share, then a tree within the workgroup):
 * G workgroups over x into partial[G], then one workgroup over partial[0..G) into out[outIndex]. f32 throughout (the wasm kernels sum in f64; the
 * difference on the sizes trained here is ~1e-6 relative).
 *
 * The grid: element-wise shaders run `GROUP` threads a workgroup over at most `MAX_GROUPS` workgroups, each
 * thread striding by the grid's size (`gridGroups(n)` workgroups), so any n fits WebGPU's 65535 workgroups a
 * dimension.
 */

import type { GpuContext } from './context.js';

/** Threads per workgroup of the element-wise and reduction shaders (works on lavapipe and NVIDIA). */
export const GROUP = 256;

/** The most workgroups a grid-stride dispatch uses. */
export const MAX_GROUPS = 4096;

/** Workgroups of a grid-stride dispatch over n elements (0 for n = 0: nothing is dispatched). */
export function gridGroups(n: number): number {
  return Math.min(Math.ceil(n / GROUP), MAX_GROUPS);
}

/**
 * WGSL: `tree_sum(l)` — the sum of acc[0..256) left in acc[0] (every thread of the workgroup calls it; thread l
 * has stored its value in acc[l] before). Included by the shaders that sum within a workgroup.
 */
export const TREE_SUM = /* wgsl */ `
var<workgroup> acc: array<f32, 256>;

fn tree_sum(l: u32) {
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (l < s) { acc[l] = acc[l] + acc[l + s]; }
    workgroupBarrier();
  }
}
`;

const WGSL = /* wgsl */ `
// x: f32 [n] → dst[first + g] = Σ of the elements workgroup g visits (square = 1: of their squares), g < groups
struct Params { n: u32, square: u32, groups: u32, first: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
${TREE_SUM}
@compute @workgroup_size(256)
fn sum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  var s = 0.0;
  for (var i = wid.x * 256u + lid.x; i < u.n; i = i + u.groups * 256u) {
    let v = x[i];
    if (u.square != 0u) { s = s + v * v; } else { s = s + v; }
  }
  acc[lid.x] = s;
  tree_sum(lid.x);
  if (lid.x == 0u) { dst[u.first + wid.x] = acc[0]; }
}
`;

/** The most partial sums the first stage writes (one per workgroup). */
const REDUCE_GROUPS = 256;

export class SumReduce {
  private readonly partial: GPUBuffer;

  constructor(private readonly ctx: GpuContext) {
    this.partial = ctx.f32('reduce.partial', REDUCE_GROUPS);
  }

  /** out[outIndex] = Σ x[0..n) (square: Σ x²). x and out may not be the same buffer. */
  encode(
    encoder: GPUCommandEncoder,
    a: { x: GPUBuffer; n: number; out: GPUBuffer; outIndex: number; square?: boolean },
  ): void {
    if (!(Number.isInteger(a.n) && a.n >= 0)) throw new Error(`SumReduce: expected n ≥ 0, got ${a.n}`);
    if (4 * a.n > a.x.size) throw new Error(`SumReduce: ${a.n} floats overrun ${a.x.label} (${a.x.size} bytes)`);
    if (!(Number.isInteger(a.outIndex) && a.outIndex >= 0 && 4 * (a.outIndex + 1) <= a.out.size))
      throw new Error(`SumReduce: output index ${a.outIndex} outside ${a.out.label} (${a.out.size} bytes)`);
    const groups = Math.max(1, Math.min(Math.ceil(a.n / GROUP), REDUCE_GROUPS));
    const pipe = this.ctx.pipeline('reduce', WGSL, 'sum');
    // stage 1: partial[g] for each of the workgroups; stage 2: one workgroup sums them into out[outIndex]
    this.ctx.dispatch(encoder, pipe, [this.ctx.params([a.n, a.square ? 1 : 0, groups, 0]), a.x, this.partial], groups);
    this.ctx.dispatch(encoder, pipe, [this.ctx.params([groups, 0, 1, a.outIndex]), this.partial, a.out], 1);
  }
}
