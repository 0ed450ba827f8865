/**
 * The BiLSTM-CRF's forward and backward passes for one lockstep batch, run on the train.wasm kernels of one
 * instance. Parameters and gradients live in that instance's memory as flat vectors (src/train/params.ts);
 * every activation is allocated above them for the duration of one call and released afterwards.
 *
 * Shapes (M = T·B rows, time-major): X0 [M, In0] (In0 = char | word | bigram | lex columns, layout.ts) · per layer l and direction: input (bw: time-reversed copy)
 * [M, In_l], gates G [M, 4H], h / c / tanh c [M, H] · layer output Y_l [M, 2H] = concat(h_fw, h_bw) (dropout
 * applied in place, mask kept) · emissions E [M, K].
 */

import { CHANNELS, CHAR_LM_DIRECTIONS, type ChannelField, channelPresent, charLmTensor } from '../features/channels.js';
import { inputColumns, inputSize } from '../model/layout.js';
import { lmForward } from './charlm.js';
import type { TrainKernels } from './kernels.js';
import type { ParamLayout } from './params.js';
import type { PreparedBatch } from './batch.js';

export interface TrainStepOptions {
  /** dropout probability after each BiLSTM layer (0 = off) */
  dropout: number;
  /** seed of this step's dropout masks */
  seed: number;
}

interface BatchPtrs {
  B: number;
  T: number;
  M: number;
  lengths: number;
  active: number;
  keys: number;
  /** per channel present in the batch, its ids [M × idsPerToken] (src/features/channels.ts) */
  ids: Partial<Record<ChannelField, number>>;
  tagIds: number;
}

interface DirState {
  /** input rows of this direction (bw: time-reversed) [M, inDim] */
  src: number;
  G: number;
  Hs: number;
  Cs: number;
  TCs: number;
}

interface LayerState {
  inDim: number;
  H: number;
  dirs: DirState[];
  /** dropout mask [M, 2H] or 0 */
  mask: number;
}

interface ForwardState {
  layers: LayerState[];
  /** input of the dense layer [M, topDim] */
  top: number;
  topDim: number;
  /** emissions [M, K] */
  E: number;
}

export class ModelGraph {
  constructor(
    readonly k: TrainKernels,
    readonly layout: ParamLayout,
    /** byte address of the flat parameter vector */
    readonly params: number,
    /** byte address of the flat gradient vector (same layout) */
    readonly grads: number,
  ) {}

  private p(name: string): number {
    return this.params + 4 * this.layout.slot(name).offset;
  }

  private g(name: string): number {
    return this.grads + 4 * this.layout.slot(name).offset;
  }

  /** Σ over sentences of the loss (CRF NLL or token cross-entropy); gradients are ADDED to the gradient vector. */
  forwardBackward(batch: PreparedBatch, opts: TrainStepOptions): number {
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new Error(`dropout: expected a probability in [0, 1), got ${opts.dropout}`);
    const mark = this.k.mark();
    try {
      const bp = this.upload(batch);
      const fw = this.forward(bp, opts.dropout, opts.seed);
      return this.backward(bp, fw);
    } finally {
      this.k.reset(mark);
    }
  }

  /** Best tag path of every sentence (Viterbi with crf, per-step argmax without), in the batch's input order. */
  decode(batch: PreparedBatch): Int32Array[] {
    const mark = this.k.mark();
    try {
      const bp = this.upload(batch);
      const fw = this.forward(bp, 0, 0);
      const a = this.layout.arch;
      const ex = this.k.exports;
      const { B, T, M } = bp;
      const out = this.k.alloc(4 * M);
      if (a.crf) {
        const work = this.k.alloc(4 * ex.viterbi_work_size(T, a.tags));
        ex.viterbi(fw.E, bp.lengths, B, T, a.tags, this.p('crf.start'), this.p('crf.end'), this.p('crf.trans'), out, work);
      } else {
        ex.argmax_rows(fw.E, bp.lengths, B, T, a.tags, out);
      }
      const flat = this.k.i32(out, M);
      const paths: Int32Array[] = new Array(B);
      for (let b = 0; b < B; b++) {
        const L = batch.lengths[b];
        const path = new Int32Array(L);
        for (let t = 0; t < L; t++) path[t] = flat[t * B + b];
        paths[batch.order[b]] = path;
      }
      return paths;
    } finally {
      this.k.reset(mark);
    }
  }

  /** Emissions [L, K] of every sentence (no dropout), in the batch's input order. */
  emissions(batch: PreparedBatch): Float32Array[] {
    const mark = this.k.mark();
    try {
      const bp = this.upload(batch);
      const fw = this.forward(bp, 0, 0);
      const K = this.layout.arch.tags;
      const E = this.k.f32(fw.E, bp.M * K);
      const res: Float32Array[] = new Array(bp.B);
      for (let b = 0; b < bp.B; b++) {
        const L = batch.lengths[b];
        const e = new Float32Array(L * K);
        for (let t = 0; t < L; t++) e.set(E.subarray((t * bp.B + b) * K, (t * bp.B + b + 1) * K), t * K);
        res[batch.order[b]] = e;
      }
      return res;
    } finally {
      this.k.reset(mark);
    }
  }

  private upload(batch: PreparedBatch): BatchPtrs {
    const k = this.k;
    const { B, T } = batch;
    const M = B * T;
    const lengths = k.alloc(4 * B);
    const active = k.alloc(4 * T);
    const keys = k.alloc(4 * B);
    const tagIds = k.alloc(4 * M);
    k.i32(lengths, B).set(batch.lengths);
    k.i32(active, T).set(batch.active);
    k.i32(keys, B).set(batch.keys);
    k.i32(tagIds, M).set(batch.tagIds);
    const a = this.layout.arch;
    const ids: Partial<Record<ChannelField, number>> = {};
    for (const ch of CHANNELS) {
      if (!channelPresent(ch, a)) continue;
      const n = M * ch.idsPerToken(a);
      const src = batch[ch.field];
      if (!src || src.length !== n) throw new Error(`batch: the model has a ${ch.name} channel; expected ${n} ${ch.name} ids, got ${src?.length ?? 0}`);
      const p = k.alloc(4 * n);
      k.i32(p, n).set(src);
      ids[ch.field] = p;
    }
    return { B, T, M, lengths, active, keys, ids, tagIds };
  }

  private forward(bp: BatchPtrs, dropout: number, seed: number): ForwardState {
    const k = this.k;
    const ex = k.exports;
    const a = this.layout.arch;
    const { B, T, M, lengths, active } = bp;
    let inDim = inputSize(a);
    const X0 = k.allocF32(M * inDim); // [M, In0] = [char | word | bigram | lex type 0 … lex type L-1]
    this.eachChannel(bp, (name, col, dim, ids, stride) => ex.embed_gather(X0, inDim, col, this.p(name), dim, ids, stride, active, T, B));
    for (const { channel, col } of inputColumns(a)) if (channel.dense) this.charLmColumns(bp, X0, inDim, col);
    let input = X0;
    const layers: LayerState[] = [];
    a.lstm.forEach((H, l) => {
      const G4 = 4 * H;
      const dirs: DirState[] = [];
      for (const dir of ['fw', 'bw']) {
        let src = input;
        if (dir === 'bw') {
          src = k.allocF32(M * inDim); // [M, inDim] each sentence reversed in time
          ex.seq_copy(src, inDim, input, inDim, lengths, T, B, inDim, 1, 0);
        }
        const WihT = k.allocF32(inDim * G4); // [inDim, 4H]
        ex.transpose(WihT, this.p(`lstm.${l}.${dir}.w_ih`), G4, inDim);
        const WhhT = k.allocF32(H * G4); // [H, 4H]
        ex.transpose(WhhT, this.p(`lstm.${l}.${dir}.w_hh`), G4, H);
        const G = k.allocF32(M * G4); // [M, 4H] = bias + src · W_ihᵀ
        ex.rows_set(G, G4, this.p(`lstm.${l}.${dir}.bias`), M, G4);
        ex.gemm(G, G4, src, inDim, 1, WihT, G4, M, G4, inDim, 1);
        const Hs = k.allocF32(M * H); // [M, H]
        const Cs = k.allocF32(M * H);
        const TCs = k.allocF32(M * H);
        ex.lstm_forward(G, Hs, Cs, TCs, WhhT, active, T, B, H);
        dirs.push({ src, G, Hs, Cs, TCs });
      }
      const Y = k.allocF32(M * 2 * H); // [M, 2H] = concat(h_fw, h_bw)
      ex.seq_copy(Y, 2 * H, dirs[0].Hs, H, lengths, T, B, H, 0, 0);
      ex.seq_copy(Y + 4 * H, 2 * H, dirs[1].Hs, H, lengths, T, B, H, 1, 0);
      let mask = 0;
      if (dropout > 0) {
        mask = k.allocF32(M * 2 * H); // [M, 2H]
        ex.dropout_mask(mask, lengths, bp.keys, T, B, 2 * H, dropout, layerSeed(seed, l));
        ex.vmul(Y, mask, M * 2 * H);
      }
      layers.push({ inDim, H, dirs, mask });
      input = Y;
      inDim = 2 * H;
    });
    const K = a.tags;
    const E = k.allocF32(M * K); // [M, K]
    const WdT = k.allocF32(inDim * K); // [D, K]
    ex.transpose(WdT, this.p('dense.w'), K, inDim);
    ex.rows_set(E, K, this.p('dense.b'), M, K);
    ex.gemm(E, K, input, inDim, 1, WdT, K, M, K, inDim, 1);
    return { layers, top: input, topDim: inDim, E };
  }

  private backward(bp: BatchPtrs, fw: ForwardState): number {
    const k = this.k;
    const ex = k.exports;
    const a = this.layout.arch;
    const { B, T, M, lengths, active } = bp;
    const K = a.tags;
    const dE = k.allocF32(M * K); // [M, K]
    let loss: number;
    if (a.crf) {
      const work = k.alloc(8 * ex.crf_work_size(T, K));
      loss = ex.crf_nll(fw.E, bp.tagIds, lengths, B, T, K, this.p('crf.start'), this.p('crf.end'), this.p('crf.trans'),
        dE, this.g('crf.start'), this.g('crf.end'), this.g('crf.trans'), work);
    } else {
      loss = ex.softmax_xent(fw.E, bp.tagIds, lengths, B, T, K, dE);
    }
    // dense: dW [K, D] += dEᵀ·Y · db += Σ dE · dY [M, D] = dE·W
    let D = fw.topDim;
    ex.gemm(this.g('dense.w'), D, dE, 1, K, fw.top, D, K, D, M, 1);
    ex.col_sum(this.g('dense.b'), dE, K, M, K);
    let dY = k.allocF32(M * D);
    ex.gemm(dY, D, dE, K, 1, this.p('dense.w'), D, M, D, K, 0);
    for (let l = fw.layers.length - 1; l >= 0; l--) {
      const { inDim, H, dirs, mask } = fw.layers[l];
      const G4 = 4 * H;
      if (mask) ex.vmul(dY, mask, M * 2 * H);
      const dHf = k.allocF32(M * H); // [M, H]
      const dHb = k.allocF32(M * H); // [M, H] in the bw direction's reversed time
      ex.seq_copy(dHf, H, dY, 2 * H, lengths, T, B, H, 0, 0);
      ex.seq_copy(dHb, H, dY + 4 * H, 2 * H, lengths, T, B, H, 1, 0);
      const dX = k.allocF32(M * inDim); // [M, inDim]
      const dhn = k.allocF32(B * H);
      const dcn = k.allocF32(B * H);
      ['fw', 'bw'].forEach((dir, di) => {
        const { src, G, Hs, Cs, TCs } = dirs[di];
        const name = (part: string) => `lstm.${l}.${dir}.${part}`;
        ex.lstm_backward(G, Cs, TCs, di === 0 ? dHf : dHb, this.p(name('w_hh')), active, T, B, H, dhn, dcn); // G := dG
        if (T > 1) ex.gemm(this.g(name('w_hh')), H, G + 4 * B * G4, 1, G4, Hs, H, G4, H, (T - 1) * B, 1); // [4H, H]
        ex.gemm(this.g(name('w_ih')), inDim, G, 1, G4, src, inDim, G4, inDim, M, 1); // [4H, inDim]
        ex.col_sum(this.g(name('bias')), G, G4, M, G4);
        if (di === 0) {
          ex.gemm(dX, inDim, G, G4, 1, this.p(name('w_ih')), inDim, M, inDim, G4, 0); // [M, inDim]
        } else {
          const dXr = k.allocF32(M * inDim);
          ex.gemm(dXr, inDim, G, G4, 1, this.p(name('w_ih')), inDim, M, inDim, G4, 0);
          ex.seq_copy(dX, inDim, dXr, inDim, lengths, T, B, inDim, 1, 1);
        }
      });
      dY = dX;
      D = inDim;
    }
    this.eachChannel(bp, (name, col, dim, ids, stride) => ex.embed_scatter(this.g(name), dim, dY, D, col, ids, stride, active, T, B));
    return loss;
  }

  /**
   * The charLm channel's columns [col, col + 2H) of X0 [M, ld]: the frozen char LMs (src/train/charlm.ts) run
   * over the char ids, fw in reading order, bw over each sentence reversed, h_fw | h_bw copied in (bw put back in
   * reading order). Nothing flows back into them: their tensors get no gradient.
   */
  private charLmColumns(bp: BatchPtrs, X0: number, ld: number, col: number): void {
    const a = this.layout.arch;
    const sizes = { vocab: a.charVocab, dim: a.charLmDim ?? 0, hidden: a.charLmHidden ?? 0 };
    const H = sizes.hidden;
    CHAR_LM_DIRECTIONS.forEach((dir, d) => {
      const p = {
        embed: this.p(charLmTensor(dir, 'embed')),
        w_ih: this.p(charLmTensor(dir, 'w_ih')),
        w_hh: this.p(charLmTensor(dir, 'w_hh')),
        bias: this.p(charLmTensor(dir, 'bias')),
      };
      const st = lmForward(this.k, p, sizes, bp.ids.charIds!, bp.lengths, bp.active, bp.T, bp.B, d === 1);
      this.k.exports.seq_copy(X0 + 4 * (col + d * H), ld, st.Hs, H, bp.lengths, bp.T, bp.B, H, d, 0);
    });
  }

  /**
   * The looked-up input channels (layout.ts inputColumns: char | word | bigram | lex per type; not the dense
   * charLm), slot by slot: embedding
   * tensor, first column in X0, width, pointer of the slot's first id and the ids' stride (ids per token).
   */
  private eachChannel(bp: BatchPtrs, fn: (name: string, col: number, dim: number, ids: number, stride: number) => void): void {
    for (const { channel, col, dim, slots } of inputColumns(this.layout.arch)) {
      if (channel.dense) continue;
      const ids = bp.ids[channel.field]!;
      for (let j = 0; j < slots; j++) fn(channel.tensor, col + j * dim, dim, ids + 4 * j, slots);
    }
  }
}

/** Seed of layer l's dropout mask within one step. */
function layerSeed(seed: number, l: number): number {
  return (seed + Math.imul(l + 1, 0x9e3779b1)) >>> 0;
}
