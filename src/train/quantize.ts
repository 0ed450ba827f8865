/**
 * int8-per-row quantisation of trained weights (the scheme of src/model/layout.ts): every quantizable tensor
 * NAME [rows, cols] becomes dtype 'i8' plus an f32 companion `NAME.scale` [rows] with
 *   scale[r] = max_c |w[r, c]| / 127,   q[r, c] = round(w[r, c] / scale[r])   (all-zero rows: scale 0, q 0)
 * so w ≈ q · scale with |error| ≤ scale / 2. Non-quantizable tensors (biases, CRF) stay f32.
 */

import { type Architecture, type Tensor, type Weights, tensorSpecs } from '../model/layout.js';

export interface QuantizeOptions {
  /** quantise only these tensor names (default: every quantizable tensor of the architecture) */
  only?: readonly string[];
}

/** One f32 matrix [rows, cols] → int8 rows + scales. */
export function quantizeRows(data: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  if (!(data instanceof Float32Array) || data.length !== rows * cols) {
    throw new Error(`quantizeRows: expected a Float32Array of ${rows}×${cols} = ${rows * cols}, got ${data?.length}`);
  }
  const q = new Int8Array(rows * cols); // [rows, cols]
  const scale = new Float32Array(rows); // [rows]
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[r * cols + c]));
    if (!Number.isFinite(max)) throw new Error(`quantizeRows: row ${r} holds a non-finite value`);
    const s = Math.fround(max / 127);
    scale[r] = s;
    if (s === 0) continue;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(data[r * cols + c] / s)));
  }
  return { q, scale };
}

/** A copy of `weights` with every quantizable tensor of `arch` stored int8-per-row. Input must be all f32. */
export function quantizeWeights(weights: Weights, arch: Architecture, options: QuantizeOptions = {}): Weights {
  const out: Weights = new Map();
  const only = options.only ? new Set(options.only) : undefined;
  for (const spec of tensorSpecs(arch)) {
    const t = weights.get(spec.name);
    if (!t) throw new Error(`quantizeWeights: tensor '${spec.name}' missing (expected shape [${spec.shape}])`);
    if (t.dtype !== 'f32') throw new Error(`quantizeWeights: tensor '${spec.name}' must be f32, got ${t.dtype}`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`quantizeWeights: tensor '${spec.name}' expected shape [${spec.shape}], got [${t.shape}]`);
    }
    if (spec.quantizable && spec.shape.length === 2 && (!only || only.has(spec.name))) {
      const [rows, cols] = spec.shape;
      const { q, scale } = quantizeRows(t.data as Float32Array, rows, cols);
      out.set(spec.name, { dtype: 'i8', shape: [rows, cols], data: q });
      out.set(`${spec.name}.scale`, { dtype: 'f32', shape: [rows], data: scale });
    } else {
      out.set(spec.name, { dtype: 'f32', shape: [...t.shape], data: (t.data as Float32Array).slice() });
    }
  }
  return out;
}

/** f32 Weights back from int8-per-row ones (tensors already f32 are copied). */
export function dequantizeWeights(weights: Weights, arch: Architecture): Weights {
  const out: Weights = new Map();
  for (const spec of tensorSpecs(arch)) {
    const t = weights.get(spec.name);
    if (!t) throw new Error(`dequantizeWeights: tensor '${spec.name}' missing`);
    if (t.dtype === 'f32') {
      out.set(spec.name, { dtype: 'f32', shape: [...t.shape], data: (t.data as Float32Array).slice() });
      continue;
    }
    if (t.dtype !== 'i8' || t.shape.length !== 2) throw new Error(`dequantizeWeights: tensor '${spec.name}' must be f32 or 2-D i8, got ${t.dtype} [${t.shape}]`);
    const s: Tensor | undefined = weights.get(`${spec.name}.scale`);
    const [rows, cols] = t.shape;
    if (!s || s.dtype !== 'f32' || s.data.length !== rows) throw new Error(`dequantizeWeights: '${spec.name}.scale' must be f32 [${rows}]`);
    const data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = t.data[r * cols + c] * s.data[r];
    out.set(spec.name, { dtype: 'f32', shape: [rows, cols], data });
  }
  return out;
}

/** Names of the tensors stored as int8 in `weights`. */
export function quantizedNames(weights: Weights): string[] {
  return [...weights].filter(([, t]) => t.dtype === 'i8').map(([n]) => n);
}
