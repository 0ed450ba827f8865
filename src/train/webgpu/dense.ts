/**
 * The dense projection of the top BiLSTM output onto tag scores, forward and backward, on WebGPU (the dense part
 * of src/train/graph.ts). dense.w [K, D] and dense.b [K] are slots of the flat parameter / gradient vectors.
 *
 *   forward:  E [M, K] = b + Y · Wᵀ                         Y [M, D]
 *   backward: dW [K, D] += dEᵀ · Y · db [K] += Σ_m dE[m] · dY [M, D] = dE · W
 */

import type { Matmul } from './matmul.js';

export interface DenseSlots {
  /** float offsets of dense.w and dense.b */
  w: number;
  b: number;
}

export class Dense {
  constructor(
    private readonly mm: Matmul,
    /** input width */
    readonly D: number,
    /** tags */
    readonly K: number,
    readonly slots: DenseSlots,
  ) {
    if (!(Number.isInteger(D) && D >= 1 && Number.isInteger(K) && K >= 1))
      throw new Error(`Dense: expected D, K ≥ 1, got ${D}, ${K}`);
  }

  /** E [M, K] = b + Y · Wᵀ. */
  encodeForward(enc: GPUCommandEncoder, a: { M: number; Y: GPUBuffer; params: GPUBuffer; E: GPUBuffer }): void {
    const { D, K, slots } = this;
    this.mm.encode(enc, {
      M: a.M,
      N: K,
      K: D,
      mode: 'bias',
      A: { buffer: a.Y, rowStride: D, colStride: 1 },
      B: { buffer: a.params, offset: slots.w, rowStride: 1, colStride: D },
      C: { buffer: a.E, rowStride: K, colStride: 1 },
      bias: { buffer: a.params, offset: slots.b },
    });
  }

  /** dW += dEᵀ·Y and db += Σ dE into grads; dY [M, D] = dE · W. */
  encodeBackward(
    enc: GPUCommandEncoder,
    a: { M: number; Y: GPUBuffer; dE: GPUBuffer; params: GPUBuffer; grads: GPUBuffer; dY: GPUBuffer },
  ): void {
    const { D, K, slots } = this;
    this.mm.encode(enc, {
      M: K,
      N: D,
      K: a.M,
      mode: 'add',
      A: { buffer: a.dE, rowStride: 1, colStride: K },
      B: { buffer: a.Y, rowStride: D, colStride: 1 },
      C: { buffer: a.grads, offset: slots.w, rowStride: D, colStride: 1 },
    });
    this.mm.encodeColSum(enc, {
      M: a.M,
      N: K,
      ld: K,
      src: { buffer: a.dE },
      dst: { buffer: a.grads, offset: slots.b },
    });
    this.mm.encode(enc, {
      M: a.M,
      N: D,
      K,
      mode: 'set',
      A: { buffer: a.dE, rowStride: K, colStride: 1 },
      B: { buffer: a.params, offset: slots.w, rowStride: D, colStride: 1 },
      C: { buffer: a.dY, rowStride: D, colStride: 1 },
    });
  }
}
