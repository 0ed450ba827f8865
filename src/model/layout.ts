/**
 * The weight layout of the BiLSTM-CRF — written down once, here. The kernels (assembly/), the runtime
 * network (src/model/network.ts), the trainer (src/train/) and the model file all follow this file.
 *
 * Shapes are row-major. B = sentences in a lockstep batch, T = time steps, K = tags.
 *
 *   input x_t = concat(embed.char[charId_t], embed.word[wordId_t], embed.bigram[bigramId_t],
 *                      embed.lex[lexId_{t,0}], …, embed.lex[lexId_{t,L-1}], h_fw_t, h_bw_t)
 *                                                     [In0 = charDim + wordDim + bigramDim + L·lexDim + 2·charLmHidden]
 *     (the input channels and their order: src/features/channels.ts CHANNELS; inputColumns below;
 *      bigramId_t = id of tokens[t] + tokens[t+1], src/features bigramAt; without bigrams bigramDim = 0;
 *      L = lexTypes; lexId_{t,k} = 5k + position of t in a type-k lexicon match, src/features/lexicon.ts;
 *      h_fw_t / h_bw_t = the frozen char language models' states (charLm channel, src/train/charlm.ts:
 *      charlm.<dir>.embed/w_ih/w_hh/bias, one LSTM direction each, bw over the sentence reversed);
 *      a channel that is off adds no columns: the paper's input is the char and word embeddings alone)
 *   for each BiLSTM layer l (hidden H_l), for dir in {fw, bw}:
 *     gates_t = W_ih · x_t + W_hh · h_{t-1} + bias                             [4H] (bias = b_ih + b_hh)
 *     rows of W_ih / W_hh / bias are gate-major, PyTorch and Keras order:
 *       [0,H) input i · [H,2H) forget f · [2H,3H) cell candidate g · [3H,4H) output o
 *     i, f, o = sigmoid(·); g = tanh(·); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t); h_0 = c_0 = 0
 *     bw runs t = T-1 … 0 over the same sentence (each sentence's own length, never padding)
 *     layer output y_t = concat(h_fw_t, h_bw_t)                                  [2H_l] = input of layer l+1
 *   emissions e_t = dense.w · y_t + dense.b                                      [K]
 *   CRF: score(y) = start[y_0] + Σ_t e_t[y_t] + Σ_{t>0} trans[y_{t-1}, y_t] + end[y_{T-1}]
 *   (crf=false: softmax over e_t, the "BiLSTM" baseline; crf.* tensors absent)
 *
 * Quantised tensors (int8-per-row): a quantizable 2-D tensor NAME (tensorSpecs; not embed.lex) may be stored as dtype 'i8' with a companion
 * f32 tensor `NAME.scale` of shape [rows]; row r = q[r, :] * scale[r] (symmetric, scale = max|row| / 127).
 */

import { type ChannelSizes, type InputChannel, activeChannels, channelDim, checkChannels } from '../features/channels.js';

export { bigramSize, checkOptionalChannels, lexiconSize } from '../features/channels.js';

/** The network's sizes: the input channels' (ChannelSizes, src/features/channels.ts), then the layers'. */
export interface Architecture extends ChannelSizes {
  /** hidden size of each BiLSTM layer, bottom first: the paper uses [128, 64]; [] = no LSTM */
  lstm: number[];
  /** number of tags K (labels in header.tags.labels) */
  tags: number;
  /** linear-chain CRF on top (true) or per-step softmax (false) */
  crf: boolean;
}

export type DType = 'f32' | 'i8' | 'i32';

export interface TensorSpec {
  name: string;
  shape: number[];
  /** may be stored as int8 with a per-row `.scale` companion */
  quantizable: boolean;
}

export const DIRECTIONS = ['fw', 'bw'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** One channel's place in the input x_t: columns [col, col + slots·dim), slot k at col + k·dim. */
export interface InputColumns {
  channel: InputChannel;
  /** first column */
  col: number;
  /** width of one slot (the embedding dimension) */
  dim: number;
  /** ids per token (1, or lexTypes) */
  slots: number;
}

/** The channels `a` uses and their columns in x_t, in input order (char | word | bigram | lex per type). */
export function inputColumns(a: Architecture): InputColumns[] {
  let col = 0;
  return activeChannels(a).map((channel) => {
    const c: InputColumns = { channel, col, dim: channelDim(channel, a), slots: channel.idsPerToken(a) };
    col += c.dim * c.slots;
    return c;
  });
}

export function inputSize(a: Architecture): number {
  let n = 0;
  for (const c of inputColumns(a)) n += c.dim * c.slots;
  return n;
}

/**
 * Checks an architecture's numbers — the input channels' (checkChannels, src/features/channels.ts), then the
 * layers': lstm sizes integers ≥ 1, tags ≥ 1, crf a boolean. Throws an Error naming the field.
 */
export function checkArchitecture(a: Architecture): void {
  if (a === null || typeof a !== 'object') throw new TypeError('architecture: expected an object');
  checkChannels(a);
  if (!Array.isArray(a.lstm)) throw new Error(`architecture: lstm must be an array of hidden sizes, got ${typeof a.lstm}`);
  const int = (what: string, v: unknown, min: number) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new Error(`architecture: ${what} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  a.lstm.forEach((h, l) => int(`lstm[${l}]`, h, 1));
  int('tags', a.tags, 1);
  if (typeof a.crf !== 'boolean') throw new Error(`architecture: crf must be a boolean, got ${typeof a.crf}`);
}

/** Input size of BiLSTM layer l. */
export function lstmInputSize(a: Architecture, l: number): number {
  return l === 0 ? inputSize(a) : 2 * a.lstm[l - 1];
}

/** Size of the vector fed to the dense projection. */
export function denseInputSize(a: Architecture): number {
  return a.lstm.length === 0 ? inputSize(a) : 2 * a.lstm[a.lstm.length - 1];
}

export const lstmName = (l: number, dir: Direction, part: 'w_ih' | 'w_hh' | 'bias') => `lstm.${l}.${dir}.${part}`;

/** Every tensor the architecture needs, with its shape, in file order. */
export function tensorSpecs(a: Architecture): TensorSpec[] {
  const specs: TensorSpec[] = [];
  for (const { channel, dim } of inputColumns(a)) {
    // a dense channel (charLm) brings its own tensors; the others one embedding table
    if (channel.tensors) specs.push(...channel.tensors(a));
    else specs.push({ name: channel.tensor, shape: [channel.rows(a), dim], quantizable: channel.quantizable });
  }
  a.lstm.forEach((h, l) => {
    const inp = lstmInputSize(a, l);
    for (const dir of DIRECTIONS) {
      specs.push({ name: lstmName(l, dir, 'w_ih'), shape: [4 * h, inp], quantizable: true });
      specs.push({ name: lstmName(l, dir, 'w_hh'), shape: [4 * h, h], quantizable: true });
      specs.push({ name: lstmName(l, dir, 'bias'), shape: [4 * h], quantizable: false });
    }
  });
  specs.push({ name: 'dense.w', shape: [a.tags, denseInputSize(a)], quantizable: true });
  specs.push({ name: 'dense.b', shape: [a.tags], quantizable: false });
  if (a.crf) {
    specs.push({ name: 'crf.trans', shape: [a.tags, a.tags], quantizable: false });
    specs.push({ name: 'crf.start', shape: [a.tags], quantizable: false });
    specs.push({ name: 'crf.end', shape: [a.tags], quantizable: false });
  }
  return specs;
}

/** The paper's reference architecture (used by the benchmark): emb 50+50, BiLSTM 128 + 64, 11 tags. */
export const PAPER_ARCHITECTURE: Omit<Architecture, 'charVocab' | 'wordVocab'> = {
  charDim: 50,
  wordDim: 50,
  lstm: [128, 64],
  tags: 11,
  crf: true,
};

/** One tensor in memory. `data.length` = product of `shape`. */
export type TensorData = Float32Array | Int8Array | Int32Array;
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}
/** name → tensor, the names of tensorSpecs() (plus `NAME.scale` for int8 tensors). */
export type Weights = Map<string, Tensor>;
