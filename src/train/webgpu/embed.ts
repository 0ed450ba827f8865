/**
 * Embedding gather and gradient scatter-add on WebGPU, the twins of embed_gather / embed_scatter in
 * assembly/train/ops.ts, for one input channel at a time (char, word, bigram, each lexicon type).
 *
 * Rows are time-major (m = t·B + b); a row is running when t < lengths[b] (the lockstep prefix b < active[t]).
 *
 * The scatter is deterministic and needs no atomics: the batch's ids are known on the CPU, so `groupRows` sorts
 * each channel's running rows by id there (CSR: the distinct ids, where each one's rows start, the rows), and the
 * shader gives one thread to each (distinct id, column) pair, which sums that id's rows in row order and adds the
 * sum to the table's gradient. No two threads write the same float.
 */

import type { GpuContext } from './context.js';

/** A float or int vector inside a flat buffer, from `offset` (elements). */
export interface BufferAt {
  buffer: GPUBuffer;
  offset?: number;
}

export interface GatherSpec {
  /** X [M, ld]: columns [col, col + dim) are written */
  X: GPUBuffer;
  ld: number;
  col: number;
  dim: number;
  /** table [rows, dim] (e.g. a slot of the flat parameter vector) */
  table: BufferAt;
  /** i32: the id of row m at ids[offset + m·stride] */
  ids: BufferAt & { stride: number };
  /** i32 [B] lengths */
  lengths: GPUBuffer;
  B: number;
  T: number;
}

/** The running rows of one channel grouped by id: ids[u] owns rows[starts[u] .. starts[u + 1]). */
export interface RowGroups {
  ids: Int32Array;
  starts: Int32Array;
  rows: Int32Array;
}

export interface ScatterSpec {
  /** dTable [rows, dim] (e.g. a slot of the flat gradient vector): dTable[id] += Σ dX[m, col:col+dim] */
  dTable: BufferAt;
  dim: number;
  /** dX [M, ld] */
  dX: GPUBuffer;
  ld: number;
  col: number;
  /** the packed groups of `packGroups`: i32 [distinct ids | starts | rows] at `offset`, `count` distinct ids */
  groups: BufferAt & { count: number };
}

const GATHER_WGSL = /* wgsl */ `
// X[m, col + d] = table[offT + id(m)·dim + d] for running rows (t < lengths[b]), else 0     m < B·T, d < dim
struct P { B: u32, T: u32, ld: u32, col: u32, dim: u32, offT: u32, offI: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<i32>;
@group(0) @binding(4) var<storage, read> lengths: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = g.x + g.y * nw.x * 256u;     // element (m, d) = (e / dim, e % dim)
  if (e >= p.B * p.T * p.dim) { return; }
  let m = e / p.dim;
  let d = e % p.dim;
  let t = m / p.B;
  let b = m % p.B;
  var v = 0.0;
  if (i32(t) < lengths[b]) {
    let id = u32(ids[p.offI + m * p.stride]);
    v = table[p.offT + id * p.dim + d];
  }
  X[m * p.ld + p.col + d] = v;
}
`;

const SCATTER_WGSL = /* wgsl */ `
// dTable[offT + id_u·dim + d] += Σ_{r in rows of u} dX[r·ld + col + d]       u < count, d < dim
// groups (i32, from offG): [id_0 … id_{count-1} | start_0 … start_count | rows …]
struct P { count: u32, dim: u32, ld: u32, col: u32, offT: u32, offG: u32, _0: u32, _1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> dTable: array<f32>;
@group(0) @binding(2) var<storage, read> dX: array<f32>;
@group(0) @binding(3) var<storage, read> groups: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let e = g.x + g.y * nw.x * 256u;
  if (e >= p.count * p.dim) { return; }
  let u = e / p.dim;
  let d = e % p.dim;
  let starts = p.offG + p.count;
  let rows = starts + p.count + 1u;
  var s = 0.0;
  for (var r = groups[starts + u]; r < groups[starts + u + 1u]; r++) {
    s += dX[u32(groups[rows + u32(r)]) * p.ld + p.col + d];
  }
  let at = p.offT + u32(groups[p.offG + u]) * p.dim + d;
  dTable[at] += s;
}
`;

/** Workgroups of 256 threads for n threads, as an [x, y] grid (x ≤ 65535, WebGPU's per-dimension limit). */
export function grid256(n: number): [number, number] {
  const groups = Math.ceil(n / 256);
  if (groups <= 65535) return [groups, 1];
  const x = 65535;
  return [x, Math.ceil(groups / x)];
}

/**
 * The running rows (t < lengths[b]) of one channel grouped by id, ids ascending, rows ascending within an id.
 * ids of row m: all[offset + m·stride]; lengths [B]; rows m = t·B + b < T·B.
 */
export function groupRows(
  all: Int32Array,
  offset: number,
  stride: number,
  lengths: ArrayLike<number>,
  B: number,
  T: number,
): RowGroups {
  const pairs: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) if (t < lengths[b]) pairs.push(t * B + b);
  }
  const idOf = (m: number) => all[offset + m * stride];
  const rows = Int32Array.from(pairs).sort((x, y) => idOf(x) - idOf(y) || x - y);
  const ids: number[] = [];
  const starts: number[] = [];
  rows.forEach((m, i) => {
    if (i === 0 || idOf(m) !== idOf(rows[i - 1])) {
      ids.push(idOf(m));
      starts.push(i);
    }
  });
  starts.push(rows.length);
  return { ids: Int32Array.from(ids), starts: Int32Array.from(starts), rows };
}

/** `groups` packed as one i32 vector [ids | starts | rows], the layout the scatter shader reads. */
export function packGroups(g: RowGroups): Int32Array {
  const out = new Int32Array(g.ids.length + g.starts.length + g.rows.length);
  out.set(g.ids, 0);
  out.set(g.starts, g.ids.length);
  out.set(g.rows, g.ids.length + g.starts.length);
  return out;
}

export class Embedding {
  private readonly gather: GPUComputePipeline;
  private readonly scatter: GPUComputePipeline;

  constructor(private readonly ctx: GpuContext) {
    this.gather = ctx.pipeline('embed-gather', GATHER_WGSL);
    this.scatter = ctx.pipeline('embed-scatter', SCATTER_WGSL);
  }

  encodeGather(target: GPUCommandEncoder | GPUComputePassEncoder, s: GatherSpec): void {
    const words = [s.B, s.T, s.ld, s.col, s.dim, s.table.offset ?? 0, s.ids.offset ?? 0, s.ids.stride];
    this.ctx.dispatch(
      target,
      this.gather,
      [this.ctx.params(words), s.X, s.table.buffer, s.ids.buffer, s.lengths],
      grid256(s.B * s.T * s.dim),
    );
  }

  encodeScatter(target: GPUCommandEncoder | GPUComputePassEncoder, s: ScatterSpec): void {
    if (s.groups.count === 0) return;
    const words = [s.groups.count, s.dim, s.ld, s.col, s.dTable.offset ?? 0, s.groups.offset ?? 0, 0, 0];
    this.ctx.dispatch(
      target,
      this.scatter,
      [this.ctx.params(words), s.dTable.buffer, s.dX, s.groups.buffer],
      grid256(s.groups.count * s.dim),
    );
  }
}
