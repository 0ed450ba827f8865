/**
 * The trainable parameters as ONE flat f32 vector: every tensor of src/model/layout.ts tensorSpecs(), in file
 * order, each starting at a multiple of 4 floats (16 bytes, for SIMD). Gradients and Adam moments use the
 * same layout, so clipping and the optimiser step are single passes over the whole vector.
 */

import { type Architecture, type InputColumns, type Weights, checkArchitecture, inputColumns, tensorSpecs } from '../model/layout.js';
import type { Rng } from './rng.js';

export interface ParamSlot {
  name: string;
  shape: number[];
  /** first float of the tensor in the flat vector */
  offset: number;
  /** number of floats (product of shape) */
  size: number;
  quantizable: boolean;
}

/** checkArchitecture (src/model/layout.ts), and training needs ≥ 2 tags. */
export function validateArchitecture(a: Architecture): void {
  checkArchitecture(a);
  if (a.tags < 2) throw new Error(`architecture: tags must be ≥ 2, got ${a.tags}`);
}

export class ParamLayout {
  readonly arch: Architecture;
  readonly slots: ParamSlot[];
  /** length of the flat vector (a multiple of 4) */
  readonly total: number;
  private readonly byName: Map<string, ParamSlot>;

  constructor(arch: Architecture) {
    validateArchitecture(arch);
    this.arch = arch;
    this.slots = [];
    let offset = 0;
    for (const spec of tensorSpecs(arch)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      this.slots.push({ name: spec.name, shape: spec.shape, offset, size, quantizable: spec.quantizable });
      offset += (size + 3) & ~3;
    }
    this.total = offset;
    this.byName = new Map(this.slots.map((s) => [s.name, s]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  slot(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`parameter '${name}' is not part of this architecture`);
    return s;
  }

  /** Copies of every tensor of `flat` as f32 Weights (the layout.ts names and shapes). */
  toWeights(flat: Float32Array): Weights {
    this.checkFlat(flat);
    const w: Weights = new Map();
    for (const s of this.slots) {
      w.set(s.name, { dtype: 'f32', shape: [...s.shape], data: flat.slice(s.offset, s.offset + s.size) });
    }
    return w;
  }

  /** Writes f32 `weights` into `flat` (padding stays zero); every tensor must be present with its shape. */
  fromWeights(weights: Weights, flat: Float32Array = new Float32Array(this.total)): Float32Array {
    this.checkFlat(flat);
    flat.fill(0);
    for (const s of this.slots) {
      const t = weights.get(s.name);
      if (!t) throw new Error(`weights: tensor '${s.name}' missing (expected shape [${s.shape}])`);
      if (t.dtype !== 'f32') throw new Error(`weights: tensor '${s.name}' must be f32 for training, got ${t.dtype} (dequantise first)`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new Error(`weights: tensor '${s.name}' expected shape [${s.shape}], got [${t.shape}]`);
      }
      if (t.data.length !== s.size) throw new Error(`weights: tensor '${s.name}' expected ${s.size} values, got ${t.data.length}`);
      flat.set(t.data as Float32Array, s.offset);
    }
    return flat;
  }

  private checkFlat(flat: Float32Array): void {
    if (!(flat instanceof Float32Array) || flat.length !== this.total) {
      throw new Error(`flat parameters: expected a Float32Array of ${this.total}, got ${flat?.length}`);
    }
  }
}

/**
 * Fresh parameters: embeddings U(±sqrt(3 / dim)) (unit variance per vector) with the <pad> row 0 zero;
 * W_ih and dense.w Glorot-uniform; W_hh U(±1 / sqrt(H)); LSTM bias 0 except the forget gate 1;
 * dense.b 0; CRF start / end / trans U(±0.1).
 */
export function initParameters(layout: ParamLayout, rng: Rng): Float32Array {
  const a = layout.arch;
  const flat = new Float32Array(layout.total);
  const fill = (name: string, lo: number, hi: number) => {
    const s = layout.slot(name);
    for (let i = 0; i < s.size; i++) flat[s.offset + i] = rng.uniform(lo, hi);
  };
  const glorot = (name: string) => {
    const [rows, cols] = layout.slot(name).shape;
    const r = Math.sqrt(6 / (rows + cols));
    fill(name, -r, r);
  };
  // embedding tables: U(±sqrt(3 / dim)), the <pad> row (id 0) zero where the channel has one; a dense channel's
  // tensors (the char LMs, replaced by pre-trained ones in a run): embed U(±sqrt(3 / E)), W_ih Glorot, W_hh
  // U(±1 / sqrt H), bias 0 but the forget gate 1
  const embedding = ({ channel, dim }: InputColumns) => {
    if (channel.tensors) {
      for (const t of channel.tensors(a)) {
        if (t.shape.length === 1) flat.fill(1, layout.slot(t.name).offset + t.shape[0] / 4, layout.slot(t.name).offset + t.shape[0] / 2);
        else if (t.name.endsWith('.w_hh')) fill(t.name, -1 / Math.sqrt(t.shape[1]), 1 / Math.sqrt(t.shape[1]));
        else if (t.name.endsWith('.w_ih')) glorot(t.name);
        else fill(t.name, -Math.sqrt(3 / t.shape[1]), Math.sqrt(3 / t.shape[1]));
      }
      return;
    }
    const r = Math.sqrt(3 / dim);
    fill(channel.tensor, -r, r);
    const s = layout.slot(channel.tensor);
    if (channel.padRow) flat.fill(0, s.offset, s.offset + dim); // <pad>
  };
  // the tables of generation 0 (the paper's input) draw first; later channels draw after the network's tensors,
  // oldest first, so the tensors of a model without them keep their numbers (W_ih of layer 0 is wider with a
  // channel, so from there on the draws differ anyway)
  const channels = inputColumns(a);
  for (const c of channels) if (c.channel.generation === 0) embedding(c);
  a.lstm.forEach((h, l) => {
    for (const dir of ['fw', 'bw']) {
      glorot(`lstm.${l}.${dir}.w_ih`);
      fill(`lstm.${l}.${dir}.w_hh`, -1 / Math.sqrt(h), 1 / Math.sqrt(h));
      const b = layout.slot(`lstm.${l}.${dir}.bias`);
      flat.fill(1, b.offset + h, b.offset + 2 * h); // forget gate
    }
  });
  glorot('dense.w');
  if (a.crf) {
    fill('crf.trans', -0.1, 0.1);
    fill('crf.start', -0.1, 0.1);
    fill('crf.end', -0.1, 0.1);
  }
  const later = channels.filter((c) => c.channel.generation > 0).sort((x, y) => x.channel.generation - y.channel.generation);
  for (const c of later) embedding(c);
  return flat;
}
