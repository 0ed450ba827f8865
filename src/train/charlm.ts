/**
 * Character language models for the charLm input channel (src/features/channels.ts CHAR_LM; Flair's idea, small):
 * a forward and a backward model, each one LSTM direction that predicts the next character, pre-trained here on
 * plain text through the train.wasm kernels and then frozen; their hidden states at each character are the
 * channel's columns [h_fw | h_bw] (computed by src/train/graph.ts in training, src/model/network.ts at tagging).
 *
 * One direction (V = char vocabulary, E = charLmDim, H = charLmHidden; M = T·B rows, time-major as graph.ts):
 *   X [M, E] = embed[c_t] · G [M, 4H] = bias + X · W_ihᵀ · LSTM (gate order i, f, g, o) → h_t [M, H]
 *   pre-training only: logits [M, V] = h_t · out.wᵀ + out.b, loss = Σ −log softmax(logits_t)[c_{t+1}]
 * The backward model is the same network run on each sentence reversed (its h at t has read c_{T-1} … c_t).
 * Sentences start from a zero state (as at tagging, where each sentence does); a sentence longer than seqLen + 1
 * is cut into pieces of seqLen + 1 characters that overlap by one (truncated back-propagation).
 */

import { CHAR_LM_DIRECTIONS, CHAR_LM_PARTS, type CharLmDirection, charLmTensor } from '../features/channels.js';
import { TrainKernels, loadTrainingModule } from './kernels.js';
import { Rng, hash32 } from './rng.js';
import { UNK_ID, type Vocabulary } from '../features/vocab.js';
import { type NormalizeOptions } from '../text/normalize.js';
import { taggableSentences } from '../text/sentences.js';
import type { Architecture } from '../model/layout.js';

export interface CharLmSizes {
  /** rows of the char vocabulary (0 = <pad>, 1 = <unk>) */
  vocab: number;
  /** input embedding size E */
  dim: number;
  /** LSTM hidden size H */
  hidden: number;
}

export interface CharLmOptions {
  /** optimiser steps per direction */
  steps: number;
  /** pieces per step */
  batch: number;
  /** characters predicted per piece (truncated back-propagation length) */
  seqLen: number;
  /** Adam learning rate */
  lr: number;
  /** global gradient-norm clip (per character) */
  clip: number;
  seed: number;
}

export const CHAR_LM_DEFAULTS: CharLmOptions = { steps: 400, batch: 32, seqLen: 100, lr: 0.004, clip: 5, seed: 1 };

/** The training config's charLm section (src/train/config.ts): the LMs' sizes and their pre-training budget. */
export interface CharLmSettings extends Pick<CharLmOptions, 'steps' | 'batch' | 'seqLen' | 'lr'> {
  /** hidden size of each LM (0 = no charLm channel) */
  hidden: number;
  /** input embedding size */
  dim: number;
}

/** Pointers of one direction's channel tensors in a train.wasm instance. */
export interface LmPointers {
  embed: number;
  w_ih: number;
  w_hh: number;
  bias: number;
}

/** Activations of one direction over a batch (kept for the backward pass). */
export interface LmStates {
  /** [M, E] the direction's input rows (bw: time-reversed) */
  X: number;
  /** [M, 4H] activated gates */
  G: number;
  /** [M, H] h, c, tanh c (bw: in reversed time) */
  Hs: number;
  Cs: number;
  TCs: number;
}

/**
 * One LM direction forward over a lockstep batch: ids [M] time-major char ids, lengths [B], active [T] (batch.ts).
 * reverse = 1 runs it on each sentence reversed (the backward model on text in reading order); its states are
 * then in reversed time (seq_copy with reverse puts them back). Allocates in `k` (the caller resets).
 */
export function lmForward(
  k: TrainKernels,
  p: LmPointers,
  s: CharLmSizes,
  ids: number,
  lengths: number,
  active: number,
  T: number,
  B: number,
  reverse: boolean,
): LmStates {
  const ex = k.exports;
  const { dim: E, hidden: H } = s;
  const M = T * B;
  const G4 = 4 * H;
  let X = k.allocF32(M * E); // [M, E]
  ex.embed_gather(X, E, 0, p.embed, E, ids, 1, active, T, B);
  if (reverse) {
    const Xr = k.allocF32(M * E); // [M, E] each sentence reversed in time
    ex.seq_copy(Xr, E, X, E, lengths, T, B, E, 1, 0);
    X = Xr;
  }
  const WihT = k.allocF32(E * G4); // [E, 4H]
  ex.transpose(WihT, p.w_ih, G4, E);
  const WhhT = k.allocF32(H * G4); // [H, 4H]
  ex.transpose(WhhT, p.w_hh, G4, H);
  const G = k.allocF32(M * G4); // [M, 4H] = bias + X · W_ihᵀ
  ex.rows_set(G, G4, p.bias, M, G4);
  ex.gemm(G, G4, X, E, 1, WihT, G4, M, G4, E, 1);
  const Hs = k.allocF32(M * H); // [M, H]
  const Cs = k.allocF32(M * H);
  const TCs = k.allocF32(M * H);
  ex.lstm_forward(G, Hs, Cs, TCs, WhhT, active, T, B, H);
  return { X, G, Hs, Cs, TCs };
}

/** The tensors of one direction in pre-training, in flat order: the channel's (CHAR_LM_PARTS) then the output layer. */
function directionSpecs(s: CharLmSizes): { part: string; shape: number[] }[] {
  const { vocab: V, dim: E, hidden: H } = s;
  const shapes: Record<string, number[]> = { embed: [V, E], w_ih: [4 * H, E], w_hh: [4 * H, H], bias: [4 * H] };
  return [
    ...CHAR_LM_PARTS.map((part) => ({ part, shape: shapes[part] })),
    { part: 'out.w', shape: [V, H] },
    { part: 'out.b', shape: [V] },
  ];
}

/** Shapes of the channel's tensors of one direction (what the model file stores). */
export function charLmShapes(s: CharLmSizes): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { part, shape } of directionSpecs(s))
    if ((CHAR_LM_PARTS as readonly string[]).includes(part)) out[part] = shape;
  return out;
}

function checkSizes(s: CharLmSizes): void {
  for (const key of ['vocab', 'dim', 'hidden'] as const) {
    if (!(Number.isInteger(s?.[key]) && s[key] >= 1))
      throw new Error(`char LM: ${key} must be an integer ≥ 1, got ${String(s?.[key])}`);
  }
  if (s.vocab < 2) throw new Error(`char LM: vocab must be ≥ 2 (<pad>, <unk>), got ${s.vocab}`);
}

/**
 * One direction's model and its Adam state in a train.wasm instance: flat parameters, gradients and moments
 * (each tensor at a multiple of 4 floats), the loss and gradient of a batch of pieces, and the optimiser step.
 */
export class CharLmModel {
  readonly k: TrainKernels;
  readonly total: number;
  private readonly offsets = new Map<string, { offset: number; size: number; shape: number[] }>();
  readonly params: number;
  readonly grads: number;
  private readonly m: number;
  private readonly v: number;
  private t = 0;

  constructor(
    readonly sizes: CharLmSizes,
    seed: number,
    k: TrainKernels = new TrainKernels(loadTrainingModule()),
  ) {
    checkSizes(sizes);
    this.k = k;
    let offset = 0;
    for (const { part, shape } of directionSpecs(sizes)) {
      const size = shape.reduce((a, b) => a * b, 1);
      this.offsets.set(part, { offset, size, shape });
      offset += (size + 3) & ~3;
    }
    this.total = offset;
    this.params = k.allocF32(offset);
    this.grads = k.allocF32(offset);
    this.m = k.allocF32(offset);
    this.v = k.allocF32(offset);
    k.exports.zero(this.m, 4 * offset);
    k.exports.zero(this.v, 4 * offset);
    this.init(new Rng(seed));
  }

  /** embed U(±sqrt(3 / E)); W_ih, out.w Glorot-uniform; W_hh U(±1 / sqrt H); bias 0 but the forget gate 1; out.b 0. */
  private init(rng: Rng): void {
    const flat = this.flat();
    flat.fill(0);
    const { dim: E, hidden: H } = this.sizes;
    const fill = (part: string, r: number) => {
      const { offset, size } = this.offsets.get(part)!;
      for (let i = 0; i < size; i++) flat[offset + i] = rng.uniform(-r, r);
    };
    const glorot = (part: string) => {
      const [rows, cols] = this.offsets.get(part)!.shape;
      fill(part, Math.sqrt(6 / (rows + cols)));
    };
    fill('embed', Math.sqrt(3 / E));
    glorot('w_ih');
    fill('w_hh', 1 / Math.sqrt(H));
    const b = this.offsets.get('bias')!.offset;
    flat.fill(1, b + H, b + 2 * H);
    glorot('out.w');
  }

  /** The flat parameter vector (a fresh view: never keep it across an allocation). */
  flat(): Float32Array {
    return this.k.f32(this.params, this.total);
  }

  gradient(): Float32Array {
    return this.k.f32(this.grads, this.total);
  }

  private ptr(base: number, part: string): number {
    return base + 4 * this.offsets.get(part)!.offset;
  }

  /** The channel's tensors of this direction (copies), named charlm.<dir>.<part>. */
  tensors(dir: CharLmDirection): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    const flat = this.flat();
    for (const part of CHAR_LM_PARTS) {
      const { offset, size, shape } = this.offsets.get(part)!;
      out.set(charLmTensor(dir, part), { shape: [...shape], data: flat.slice(offset, offset + size) });
    }
    return out;
  }

  /**
   * Σ over the pieces' predicted characters of −log p(next char); the gradient of that sum is WRITTEN to the
   * gradient vector. Each piece is ≥ 2 char ids in [0, vocab): inputs piece[0 … L-2], targets piece[1 … L-1].
   */
  lossAndGradient(pieces: readonly Int32Array[]): { loss: number; chars: number } {
    const { vocab: V, dim: E, hidden: H } = this.sizes;
    const B = pieces.length;
    if (B === 0) throw new Error('char LM: expected at least one piece, got 0');
    pieces.forEach((p, i) => {
      if (!(p instanceof Int32Array) || p.length < 2)
        throw new Error(`char LM: piece ${i} must be an Int32Array of ≥ 2 char ids`);
      for (let t = 0; t < p.length; t++)
        if (!(p[t] >= 0 && p[t] < V))
          throw new RangeError(`char LM: piece ${i}[${t}] = ${p[t]} is outside the char vocabulary [0, ${V})`);
    });
    const order = Array.from(pieces.keys()).sort((x, y) => pieces[y].length - pieces[x].length || x - y);
    const lens = order.map((i) => pieces[i].length - 1); // [B] predicted characters, non-increasing
    const T = lens[0];
    const M = T * B;
    const k = this.k;
    const ex = k.exports;
    const mark = k.mark();
    try {
      const lengths = k.alloc(4 * B);
      const active = k.alloc(4 * T);
      const ids = k.alloc(4 * M);
      const targets = k.alloc(4 * M);
      k.i32(lengths, B).set(lens);
      const act = k.i32(active, T);
      act.fill(0);
      for (let b = 0; b < B; b++) for (let t = 0; t < lens[b]; t++) act[t]++;
      const idv = k.i32(ids, M);
      const tgv = k.i32(targets, M);
      idv.fill(0);
      tgv.fill(0);
      let chars = 0;
      for (let b = 0; b < B; b++) {
        const p = pieces[order[b]];
        for (let t = 0; t < lens[b]; t++) {
          idv[t * B + b] = p[t];
          tgv[t * B + b] = p[t + 1];
        }
        chars += lens[b];
      }
      const P = (part: string) => this.ptr(this.params, part);
      const D = (part: string) => this.ptr(this.grads, part);
      ex.zero(this.grads, 4 * this.total);
      const st = lmForward(
        k,
        { embed: P('embed'), w_ih: P('w_ih'), w_hh: P('w_hh'), bias: P('bias') },
        this.sizes,
        ids,
        lengths,
        active,
        T,
        B,
        false,
      );
      // logits [M, V] = bias + Hs · out.wᵀ
      const outT = k.allocF32(H * V); // [H, V]
      ex.transpose(outT, P('out.w'), V, H);
      const Z = k.allocF32(M * V);
      ex.rows_set(Z, V, P('out.b'), M, V);
      ex.gemm(Z, V, st.Hs, H, 1, outT, V, M, V, H, 1);
      const dZ = k.allocF32(M * V);
      const loss = ex.softmax_xent(Z, targets, lengths, B, T, V, dZ);
      // output layer: d out.w [V, H] += dZᵀ · Hs · d out.b += Σ dZ · dH [M, H] = dZ · out.w
      ex.gemm(D('out.w'), H, dZ, 1, V, st.Hs, H, V, H, M, 1);
      ex.col_sum(D('out.b'), dZ, V, M, V);
      const dH = k.allocF32(M * H);
      ex.gemm(dH, H, dZ, V, 1, P('out.w'), H, M, H, V, 0);
      // LSTM: G := dG; then dW_hh += dG[1:]ᵀ · H[:-1], dW_ih += dGᵀ · X, dbias = Σ dG, dX = dG · W_ih
      const G4 = 4 * H;
      const dhn = k.allocF32(B * H);
      const dcn = k.allocF32(B * H);
      ex.lstm_backward(st.G, st.Cs, st.TCs, dH, P('w_hh'), active, T, B, H, dhn, dcn);
      if (T > 1) ex.gemm(D('w_hh'), H, st.G + 4 * B * G4, 1, G4, st.Hs, H, G4, H, (T - 1) * B, 1);
      ex.gemm(D('w_ih'), E, st.G, 1, G4, st.X, E, G4, E, M, 1);
      ex.col_sum(D('bias'), st.G, G4, M, G4);
      const dX = k.allocF32(M * E);
      ex.gemm(dX, E, st.G, G4, 1, P('w_ih'), E, M, E, G4, 0);
      ex.embed_scatter(D('embed'), E, dX, E, 0, ids, 1, active, T, B);
      return { loss, chars };
    } finally {
      k.reset(mark);
    }
  }

  /** One Adam step on the gradient of `chars` characters, its norm per character clipped to `clip`. */
  step(chars: number, lr: number, clip: number): void {
    const ex = this.k.exports;
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const norm = Math.sqrt(ex.sumsq(this.grads, this.total)) / chars;
    const scale = (norm > clip ? clip / norm : 1) / chars;
    ex.adam(
      this.params,
      this.grads,
      this.m,
      this.v,
      this.total,
      lr,
      b1,
      b2,
      1e-8,
      1 - b1 ** this.t,
      1 - b2 ** this.t,
      scale,
    );
  }
}

/** Pieces of ≤ seqLen + 1 ids (overlapping by one) of every sentence with ≥ 2 characters, reversed for bw. */
export function charLmPieces(sentences: readonly Int32Array[], seqLen: number, reverse: boolean): Int32Array[] {
  if (!(Number.isInteger(seqLen) && seqLen >= 1))
    throw new Error(`char LM: seqLen must be an integer ≥ 1, got ${seqLen}`);
  const out: Int32Array[] = [];
  for (const s of sentences) {
    const ids = reverse ? s.slice().reverse() : s;
    for (let a = 0; a + 1 < ids.length; a += seqLen) out.push(ids.slice(a, Math.min(ids.length, a + seqLen + 1)));
  }
  return out;
}

export interface CharLmResult {
  /** the channel's tensors of both directions, charlm.<dir>.<part> */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** mean loss per character (nats) of each logged stretch of steps, per direction */
  history: { dir: CharLmDirection; step: number; loss: number; perplexity: number }[];
}

/**
 * Pre-trains the forward and the backward model on `sentences` (char ids of normalised sentences, from the
 * model's char vocabulary): `steps` Adam steps each, `batch` pieces a step drawn with replacement by a seeded
 * generator, so a run is deterministic by seed. Logs the mean loss and perplexity every `logEvery` steps.
 */
export function pretrainCharLm(
  sentences: readonly Int32Array[],
  sizes: CharLmSizes,
  options: Partial<CharLmOptions> = {},
  log: (line: string) => void = () => {},
  logEvery = 50,
): CharLmResult {
  const o = { ...CHAR_LM_DEFAULTS, ...options };
  for (const key of ['steps', 'batch', 'seqLen'] as const) {
    if (!(Number.isInteger(o[key]) && o[key] >= 1))
      throw new Error(`char LM: ${key} must be an integer ≥ 1, got ${String(o[key])}`);
  }
  if (!(o.lr > 0) || !(o.clip > 0)) throw new Error(`char LM: lr and clip must be > 0, got ${o.lr} and ${o.clip}`);
  checkSizes(sizes);
  const tensors: CharLmResult['tensors'] = new Map();
  const history: CharLmResult['history'] = [];
  CHAR_LM_DIRECTIONS.forEach((dir, d) => {
    const pieces = charLmPieces(sentences, o.seqLen, dir === 'bw');
    if (pieces.length === 0) throw new Error('char LM: no sentence of 2 or more characters to learn from');
    const model = new CharLmModel(sizes, hash32(o.seed, 40 + d));
    const rng = new Rng(hash32(o.seed, 50 + d));
    let sum = 0;
    let chars = 0;
    for (let step = 1; step <= o.steps; step++) {
      const batch = Array.from({ length: o.batch }, () => pieces[rng.int(pieces.length)]);
      const r = model.lossAndGradient(batch);
      model.step(r.chars, o.lr, o.clip);
      sum += r.loss;
      chars += r.chars;
      if (step % logEvery === 0 || step === o.steps) {
        const loss = sum / chars;
        history.push({ dir, step, loss, perplexity: Math.exp(loss) });
        log(
          `char LM ${dir} step ${step}/${o.steps}: loss ${loss.toFixed(4)} nats/char, perplexity ${Math.exp(loss).toFixed(2)}`,
        );
        sum = 0;
        chars = 0;
      }
    }
    for (const [name, t] of model.tensors(dir)) tensors.set(name, t);
  });
  return { tensors, history };
}

/**
 * Char ids of every sentence of `texts`, split and normalised as the tagger does (taggableSentences), from the
 * model's char vocabulary (chars outside it → <unk>): what the LMs learn from.
 */
export function charLmSentences(
  texts: readonly string[],
  normalization: NormalizeOptions,
  chars: Vocabulary['chars'],
): Int32Array[] {
  const index = new Map(chars.map((c, i) => [c, i]));
  const out: Int32Array[] = [];
  for (const text of texts) {
    for (const s of taggableSentences(text, normalization))
      out.push(Int32Array.from(s.tokens, (t) => index.get(t) ?? UNK_ID));
  }
  return out;
}

/**
 * The run's char LMs for an architecture with a charLm channel: pre-trained on `texts` (the unlabeled texts and
 * the training part's — never dev or test texts) with the config's budget; their tensors, to copy into the
 * initial weights. Logs what it learns from and the loss as it goes.
 */
export function charLmForRun(
  arch: Architecture,
  texts: readonly string[],
  normalization: NormalizeOptions,
  chars: Vocabulary['chars'],
  settings: Pick<CharLmOptions, 'steps' | 'batch' | 'seqLen' | 'lr'>,
  seed: number,
  log: (line: string) => void,
): CharLmResult {
  const sentences = charLmSentences(texts, normalization, chars);
  let n = 0;
  for (const s of sentences) n += s.length;
  log(
    `char LM: ${sentences.length} sentences, ${n} chars; hidden ${arch.charLmHidden}, dim ${arch.charLmDim}, ${settings.steps} steps × ${settings.batch} pieces of ${settings.seqLen} chars per direction`,
  );
  const sizes = { vocab: arch.charVocab, dim: arch.charLmDim ?? 0, hidden: arch.charLmHidden ?? 0 };
  return pretrainCharLm(sentences, sizes, { ...settings, seed }, log);
}
