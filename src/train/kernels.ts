/**
 * Loads build/train.wasm (assembly/train.ts) and manages its memory. The module has no allocator: this file
 * hands out 16-byte aligned regions above heap_base() and grows the memory itself. Growing detaches
 * `memory.buffer`, so the view helpers always build fresh views — never keep one across an alloc().
 */

import { readFileSync } from 'node:fs';
import { trainKernelsPath } from '../io/artefacts.js';

/** Raw exports of train.wasm; every pointer is a byte address in `memory`. */
export interface TrainExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  gemm(C: number, ldc: number, A: number, rsA: number, csA: number, B: number, ldb: number, M: number, N: number, K: number, acc: number): void;
  transpose(dst: number, src: number, M: number, N: number): void;
  rows_set(C: number, ldc: number, bias: number, M: number, N: number): void;
  col_sum(db: number, dY: number, ld: number, M: number, N: number): void;
  lstm_forward(G: number, Hs: number, Cs: number, TCs: number, WhhT: number, active: number, T: number, B: number, H: number): void;
  lstm_backward(G: number, Cs: number, TCs: number, dHs: number, Whh: number, active: number, T: number, B: number, H: number, dhn: number, dcn: number): void;
  embed_gather(X: number, ld: number, col: number, table: number, dim: number, ids: number, stride: number, active: number, T: number, B: number): void;
  embed_scatter(dTable: number, dim: number, dX: number, ld: number, col: number, ids: number, stride: number, active: number, T: number, B: number): void;
  seq_copy(dst: number, ldDst: number, src: number, ldSrc: number, lengths: number, T: number, B: number, D: number, reverse: number, acc: number): void;
  dropout_mask(mask: number, lengths: number, keys: number, T: number, B: number, D: number, p: number, seed: number): void;
  vadd(dst: number, src: number, n: number): void;
  vmul(dst: number, src: number, n: number): void;
  vscale(dst: number, n: number, s: number): void;
  zero(dst: number, bytes: number): void;
  sumsq(x: number, n: number): number;
  adam(p: number, g: number, m: number, v: number, n: number, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, gscale: number): void;
  crf_work_size(T: number, K: number): number;
  crf_nll(E: number, tags: number, lengths: number, B: number, T: number, K: number, start: number, end: number, trans: number, dE: number, dStart: number, dEnd: number, dTrans: number, work: number): number;
  softmax_xent(E: number, tags: number, lengths: number, B: number, T: number, K: number, dE: number): number;
  viterbi_work_size(T: number, K: number): number;
  viterbi(E: number, lengths: number, B: number, T: number, K: number, start: number, end: number, trans: number, out: number, work: number): void;
  argmax_rows(E: number, lengths: number, B: number, T: number, K: number, out: number): void;
  exp1(x: number): number;
}

const REQUIRED: (keyof TrainExports)[] = [
  'memory', 'heap_base', 'gemm', 'transpose', 'rows_set', 'col_sum', 'lstm_forward', 'lstm_backward', 'embed_gather',
  'embed_scatter', 'seq_copy', 'dropout_mask', 'vadd', 'vmul', 'vscale', 'zero', 'sumsq', 'adam', 'crf_work_size',
  'crf_nll', 'softmax_xent', 'viterbi_work_size', 'viterbi', 'argmax_rows',
];

const PAGE = 65536;

/** One instance of train.wasm with a bump allocator: persistent regions first, then a resettable workspace. */
export class TrainKernels {
  readonly exports: TrainExports;
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, {});
    const ex = instance.exports as unknown as TrainExports;
    for (const name of REQUIRED) {
      if (!(name in ex)) throw new Error(`train.wasm: missing export '${name}' (rebuild with npm run build:kernels)`);
    }
    this.exports = ex;
    this.memory = ex.memory;
    this.top = ex.heap_base() >>> 0;
  }

  /** Current end of allocated memory (a mark for reset()). */
  mark(): number {
    return this.top;
  }

  /** Drop every allocation made after `mark` (memory is kept for reuse). */
  reset(mark: number): void {
    if (!(mark >= this.exports.heap_base() && mark <= this.top)) throw new Error(`reset: mark ${mark} outside the allocated range`);
    this.top = mark;
  }

  /** 16-byte aligned region of `bytes` bytes (contents undefined). May grow memory (detaches old views). */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`alloc: expected a byte count ≥ 0, got ${bytes}`);
    const ptr = (this.top + 15) & ~15;
    const end = ptr + bytes;
    if (end > 0xffff0000) throw new Error(`alloc: ${bytes} bytes exceed the 4 GiB wasm32 address space`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return ptr;
  }

  allocF32(n: number): number {
    return this.alloc(4 * n);
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }
}

let cachedModule: WebAssembly.Module | undefined;

/** Compiles train.wasm once per thread (from `bytes`, or from build/train.wasm). */
export function loadTrainingModule(bytes?: Uint8Array): WebAssembly.Module {
  if (bytes) return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  if (cachedModule) return cachedModule;
  try {
    cachedModule = new WebAssembly.Module(readFileSync(trainKernelsPath()));
    return cachedModule;
  } catch (e) {
    throw new Error(`cannot load build/train.wasm (run npm run build:kernels): ${String(e)}`);
  }
}
