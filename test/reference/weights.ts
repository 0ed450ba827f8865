/**
 * Test-only weight helpers: seeded random weights for an Architecture, int8-per-row quantisation
 * (layout.ts scheme: scale = max|row| / 127, q = round(v / scale)) and dequantisation.
 */
import { type Architecture, type Tensor, type Weights, tensorSpecs } from '../../src/model/layout.js';

/** mulberry32: seeded uniform [0, 1) (the corpus split's) */
import { mulberry32 } from '../../src/corpus/split.js';
export { mulberry32 };

export interface RandomWeightOptions {
  /** LSTM / dense matrices uniform in ±scale / √(row length); biases in ±0.3·scale (default 1.5) */
  scale?: number;
  /** embeddings uniform in ±embScale (default 1) */
  embScale?: number;
  /** CRF tensors uniform in ±crfScale (default 1) */
  crfScale?: number;
}

/**
 * Random f32 weights for every tensor of tensorSpecs(arch). Matrices are uniform in ±scale/√(row length)
 * so pre-activations are O(1) and the gates visit their non-linear range.
 */
export function randomWeights(arch: Architecture, seed: number, opts: RandomWeightOptions = {}): Weights {
  const rnd = mulberry32(seed);
  const scale = opts.scale ?? 1.5;
  const embScale = opts.embScale ?? 1;
  const crfScale = opts.crfScale ?? 1;
  const w: Weights = new Map();
  for (const spec of tensorSpecs(arch)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    let a: number;
    if (spec.name.startsWith('embed.')) a = embScale;
    else if (spec.name.startsWith('crf.')) a = crfScale;
    else if (spec.shape.length === 2) a = scale / Math.sqrt(spec.shape[1]);
    else a = scale * 0.3; // biases
    for (let i = 0; i < n; i++) data[i] = (rnd() * 2 - 1) * a;
    w.set(spec.name, { dtype: 'f32', shape: [...spec.shape], data });
  }
  return w;
}

/** int8 per-row copy of one [rows × cols] f32 matrix. */
export function quantizeMatrix(t: Tensor): { q: Tensor; scale: Tensor } {
  const [rows, cols] = t.shape;
  const src = t.data as Float32Array;
  const q = new Int8Array(rows * cols);
  const s = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(src[r * cols + c]));
    const scale = m / 127;
    s[r] = scale;
    for (let c = 0; c < cols; c++) {
      q[r * cols + c] = scale > 0 ? Math.max(-127, Math.min(127, Math.round(src[r * cols + c] / scale))) : 0;
    }
  }
  return { q: { dtype: 'i8', shape: [rows, cols], data: q }, scale: { dtype: 'f32', shape: [rows], data: s } };
}

/**
 * Copy of `w` with the quantizable tensors stored int8 + NAME.scale. `only` limits which (default: all
 * quantizable tensors).
 */
export function quantizeWeights(arch: Architecture, w: Weights, only?: (name: string) => boolean): Weights {
  const out: Weights = new Map(w);
  for (const spec of tensorSpecs(arch)) {
    if (!spec.quantizable || (only && !only(spec.name))) continue;
    const t = w.get(spec.name) as Tensor;
    if (t.dtype !== 'f32') continue;
    const { q, scale } = quantizeMatrix(t);
    out.set(spec.name, q);
    out.set(`${spec.name}.scale`, scale);
  }
  return out;
}

/** Float64 values of a tensor (i8 tensors are dequantised with their .scale: q · scale in f32, as stored). */
export function values(w: Weights, name: string): Float64Array {
  const t = w.get(name);
  if (!t) throw new Error(`reference: tensor ${name} missing`);
  if (t.dtype === 'i8') {
    const s = (w.get(`${name}.scale`) as Tensor).data as Float32Array;
    const cols = t.shape.length === 2 ? t.shape[1] : 1;
    const out = new Float64Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(t.data[i] * s[Math.floor(i / cols)]);
    return out;
  }
  return Float64Array.from(t.data as Float32Array);
}
