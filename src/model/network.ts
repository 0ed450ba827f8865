/**
 * The BiLSTM-CRF forward pass and CRF decoding on the wasm kernels (assembly/, ABI in assembly/index.ts).
 *
 *   const net = createNetwork(kernels, arch, weights);          // weights: layout.ts names, f32 or i8 + .scale
 *   const ems = net.emissions({ charIds, wordIds });             // per sentence Float32Array [T × K]
 *   const { path, score } = net.viterbi(ems[0], T);
 *
 * Weights are validated against tensorSpecs(arch) and copied into wasm memory once, re-laid as the kernel
 * ABI wants (K dimensions padded to 8, LSTM units padded to Hp = roundUp(H, 8), gate blocks at q·Hp).
 * emissions() sorts the sentences by length and runs them in lockstep batches (compact time-major rows,
 * see assembly/lstm.ts); padding never changes a result: a batch gives exactly what one-at-a-time gives.
 *
 * crf=false models (per-step softmax): viterbi/kbest decode log-softmax(emissions) with zero transitions
 * (so viterbi = per-step argmax, score = the path's log-probability). Probabilities (forward–backward, entity
 * scores) are computed in f64 by src/model/crf.ts (the forward–backward lattice on the kernels' `lattice`).
 *
 * Memory: the weights stay in the Kernels instance's wasm memory for its lifetime (wasm memory never
 * shrinks); every call frees its scratch (mark/reset) before returning. Several networks may share one
 * Kernels instance; to drop a model's weights, drop its Kernels instance (loadInferenceKernels again for the next).
 * Calls are synchronous and must not interleave on one Kernels instance (JS is single-threaded: fine).
 */

import {
  type Architecture,
  type InputColumns,
  type Tensor,
  type Weights,
  DIRECTIONS,
  checkArchitecture,
  inputColumns,
  inputSize,
  lstmName,
  tensorSpecs,
} from './layout.js';
import type { Kernels } from './kernels.js';
import {
  CHANNELS,
  CHAR_LM_DIRECTIONS,
  type PerChannel,
  badChannelId,
  channelColumns,
  channelPresent,
  charLmTensor,
} from '../features/channels.js';

/**
 * Per channel (src/features/channels.ts), per sentence, its ids [T × idsPerToken]: charIds (whose lengths are
 * the sentence lengths T) and wordIds always — wordIds may be [] when wordDim = 0 —, bigramIds and lexIds
 * [T × lexTypes] when the model has those channels.
 */
export type SentenceBatch = PerChannel<Int32Array[]>;

export interface ScoredPath {
  path: Int32Array;
  score: number;
}

export interface NetworkOptions {
  /** sentences per lockstep batch (default 32) */
  batchSize?: number;
  /** at most this many characters in one batch (default 8192; a longer sentence runs alone) */
  maxBatchChars?: number;
  /**
   * Fold layer 0's input projection into per-id rows (default true; see FoldGroup). Off: every step's
   * W_ih · x_t is a matrix product over the concatenated embeddings, as the weights are stored.
   */
  foldInput?: boolean;
  /**
   * Bytes of wasm memory the folded rows may take (default 48 MiB: every id of the bundled model). Ids past it
   * are computed per batch instead of kept; 0 turns folding off.
   */
  foldCacheBytes?: number;
}

export interface Network {
  readonly arch: Architecture;
  /** true when any weight matrix is int8 */
  readonly quantized: boolean;
  /** true when layer 0's input projection is folded into cached per-id rows (NetworkOptions.foldInput) */
  readonly folded: boolean;
  /** Per sentence, the emission matrix [T × K] row-major (the dense layer output; logits for crf=false). */
  emissions(batch: SentenceBatch): Float32Array[];
  /** Best tag path of one sentence and its score (crf=false: per-step argmax, score = Σ log-softmax). */
  viterbi(em: Float32Array, T: number): ScoredPath;
  /** viterbi() over many sentences; T of each = em.length / K. */
  viterbiBatch(ems: Float32Array[]): ScoredPath[];
  /** The k best distinct paths, best first (fewer when K^T < k). */
  kbest(em: Float32Array, T: number, k: number): ScoredPath[];
  /** Per-step softmax of the emissions [T × K]. */
  softmax(em: Float32Array, T: number): Float32Array;
  /** Per-step argmax of the emissions [T]. */
  argmax(em: Float32Array, T: number): Int32Array;
}

const PAD = 8;
const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/**
 * A weight matrix in wasm memory: rows × ld (ld = K, padded). Matrices for matmul are packed in panels
 * (assembly/matmul.ts), embedding tables are plain row-major. f32 (scale = 0) or i8 with f32 row scales.
 */
interface Placed {
  ptr: number;
  scale: number;
  rows: number;
  ld: number;
}

interface LayerPlan {
  H: number;
  Hp: number;
  /** padded input width (K of W_ih) */
  inP: number;
  wih: Placed[]; // [fw, bw]
  whh: Placed[];
  bias: number[]; // f32 [4Hp] pointers
}

/**
 * One char language model direction of the dense charLm channel (src/train/charlm.ts): x = embed[charId]
 * [R × Ep], G = x · W_ihᵀ + bias, then lstm_dir (bw reversed) writes h straight into X0's columns
 * [col, col + H) (H a multiple of 8, so Hp = H).
 */
interface CharLmPlan {
  col: number;
  H: number;
  E: number;
  /** E padded to 8 (K of W_ih) */
  Ep: number;
  embed: Placed;
  wih: Placed;
  whh: Placed;
  /** f32 [4H] */
  bias: number;
  /** 0 fw, 1 bw (lstm_dir's reverse) */
  reverse: number;
}

/**
 * The folded layer-0 input projection. Layer 0's input x_t is a concatenation of embedding rows (one per channel
 * slot: layout.ts inputColumns), so its projection splits into one term per slot:
 *
 *   W_ih · x_t + b  =  b + Σ_groups W_ih[:, col_g .. col_g + dim_g) · table_g[id_g(t)]
 *
 * and each term depends on the id alone. A group keeps, per id, that term for both directions — one f32 row
 * [fw 4Hp | bw 4Hp] — computed the first time the id is seen (the same matrix kernel as the unfolded product, over
 * the group's embedding columns only: int8 weights with the embedding rounded to i16 per group instead of per
 * whole x_t) and kept in a slot of the group's cache (allocated in chunks as it fills, up to `capacity` slots).
 * W_ih of layer 0 is placed only per group. A step's projection is then b + one row per group (add_rows)
 * instead of an [In0p × 4Hp] product: for the bundled model (char 50 + word 50) the layer-0 product was about a
 * quarter of the kernels' multiply-adds. Ids beyond the capacity (NetworkOptions.foldCacheBytes) are computed
 * per batch into scratch rows and not kept. Models with a charLm channel (dense columns) are not folded.
 */
interface FoldGroup {
  /** the channel's ids field, its ids per token and this group's slot among them */
  field: InputColumns['channel']['field'];
  slots: number;
  slot: number;
  table: Placed;
  dim: number;
  /** dim padded to 8 (K of w) */
  dimP: number;
  /** W_ih's columns of this group [4Hp × dimP], packed as stored (f32, or int8 + row scales), per direction */
  w: Placed[];
  /** per id: its slot + 1; 0 while it has none (during a batch, −1 − i for scratch row i) */
  slotOf: Int32Array;
  used: number;
  capacity: number;
  /** the cache, allocated as it fills: chunk c holds slots [c·chunkSlots, (c + 1)·chunkSlots), f32 [chunkSlots × 8Hp] */
  chunks: number[];
  chunkSlots: number;
  /** this batch: the group's ids in row order [R], and the ids that had no row, in first-seen order */
  ids: Int32Array;
  fresh: number[];
}

/**
 * One slot of a channel's ids in a lockstep batch's row order (assembly/lstm.ts): out[rowStart[t] + b] =
 * per[b][t·stride + slot] for t < lens[b] — per[b] the ids [T × stride] of the batch's sentence b.
 */
function idsInRowOrder(
  out: Int32Array, per: readonly Int32Array[], lens: readonly number[], rowStart: Int32Array, stride: number, slot: number,
): void {
  for (let b = 0; b < per.length; b++) {
    const src = per[b];
    for (let t = 0; t < lens[b]; t++) out[rowStart[t] + b] = src[t * stride + slot];
  }
}

/** slots per allocation of a fold cache (at most; 1 MiB for Hp = 128) */
const FOLD_CHUNK = 256;

const FOLD_CACHE_BYTES = 48 * 1024 * 1024;

// ---------------------------------------------------------------- validation

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that every tensor of tensorSpecs(arch) is present with the right shape and dtype (f32, or i8 with
 * an f32 NAME.scale of shape [rows] for quantizable tensors) and holds finite values.
 */
export function validateWeights(arch: Architecture, weights: Weights): void {
  if (!(weights instanceof Map)) throw new TypeError(`weights: expected a Map of name → tensor, got ${typeof weights}`);
  for (const spec of tensorSpecs(arch)) {
    const t = weights.get(spec.name);
    if (t === undefined) {
      throw new Error(`weights: tensor "${spec.name}" is missing (expected f32 ${shapeText(spec.shape)})`);
    }
    if (!Array.isArray(t.shape) || t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(
        `weights: tensor "${spec.name}" has shape ${shapeText(t.shape ?? [])}, expected ${shapeText(spec.shape)}`,
      );
    }
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (t.dtype === 'f32') {
      if (!(t.data instanceof Float32Array)) throw new Error(`weights: tensor "${spec.name}" is dtype f32 but its data is not a Float32Array`);
    } else if (t.dtype === 'i8') {
      if (!spec.quantizable) throw new Error(`weights: tensor "${spec.name}" must be f32, got i8 (only 2-D weight matrices may be int8)`);
      if (!(t.data instanceof Int8Array)) throw new Error(`weights: tensor "${spec.name}" is dtype i8 but its data is not an Int8Array`);
      const s = weights.get(`${spec.name}.scale`);
      const rows = spec.shape[0];
      if (s === undefined) throw new Error(`weights: int8 tensor "${spec.name}" has no "${spec.name}.scale" (expected f32 [${rows}])`);
      if (s.dtype !== 'f32' || !(s.data instanceof Float32Array)) {
        throw new Error(`weights: "${spec.name}.scale" must be f32, got ${s.dtype}`);
      }
      if (s.shape.length !== 1 || s.shape[0] !== rows || s.data.length !== rows) {
        throw new Error(`weights: "${spec.name}.scale" has shape ${shapeText(s.shape)}, expected [${rows}]`);
      }
      checkFinite(`${spec.name}.scale`, s.data);
    } else {
      throw new Error(`weights: tensor "${spec.name}" has dtype ${String(t.dtype)}, expected f32${spec.quantizable ? ' or i8' : ''}`);
    }
    if (t.data.length !== n) {
      throw new Error(`weights: tensor "${spec.name}" holds ${t.data.length} values, its shape ${shapeText(spec.shape)} needs ${n}`);
    }
    if (t.dtype === 'f32') checkFinite(spec.name, t.data as Float32Array);
  }
}

function checkFinite(name: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`weights: tensor "${name}" has a non-finite value at flat index ${i}`);
  }
}

// ---------------------------------------------------------------- the network

export function createNetwork(kernels: Kernels, arch: Architecture, weights: Weights, options: NetworkOptions = {}): Network {
  checkArchitecture(arch);
  validateWeights(arch, weights);
  const batchSize = options.batchSize ?? 32;
  const maxBatchChars = options.maxBatchChars ?? 8192;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`createNetwork: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(maxBatchChars) || maxBatchChars < 1) {
    throw new Error(`createNetwork: maxBatchChars must be an integer ≥ 1, got ${maxBatchChars}`);
  }
  const foldCacheBytes = options.foldCacheBytes ?? FOLD_CACHE_BYTES;
  if (!Number.isInteger(foldCacheBytes) || foldCacheBytes < 0) {
    throw new Error(`createNetwork: foldCacheBytes must be an integer ≥ 0, got ${foldCacheBytes}`);
  }
  if (options.foldInput !== undefined && typeof options.foldInput !== 'boolean') {
    throw new TypeError(`createNetwork: foldInput must be a boolean, got ${typeof options.foldInput}`);
  }
  return new WasmNetwork(kernels, arch, weights, batchSize, maxBatchChars, { ...options, foldCacheBytes });
}

class WasmNetwork implements Network {
  readonly arch: Architecture;
  readonly quantized: boolean;
  readonly folded: boolean;
  private readonly k: Kernels;
  private readonly K: number;
  private readonly in0: number;
  private readonly in0P: number;
  /** the embedding table of every channel that is on, with its columns in x_t (layout.ts inputColumns) */
  private readonly tables: (InputColumns & { table: Placed })[];
  /** the char LMs of a charLm channel, [fw, bw] (none without one) */
  private readonly charLms: CharLmPlan[];
  private readonly layers: LayerPlan[];
  /** the folded layer-0 input projection (empty when not folded) */
  private readonly fold: FoldGroup[];
  private readonly dense: Placed;
  private readonly denseBias: number;
  /** CRF tensors (zeros for crf=false) */
  private readonly trans: number;
  private readonly start: number;
  private readonly end: number;

  constructor(
    kernels: Kernels, arch: Architecture, weights: Weights,
    private readonly batchSize: number, private readonly maxBatchChars: number, options: NetworkOptions,
  ) {
    this.k = kernels;
    this.arch = { ...arch, lstm: [...arch.lstm] };
    this.K = arch.tags;
    this.in0 = inputSize(arch);
    this.in0P = roundUp(this.in0, PAD);
    this.quantized = tensorSpecs(arch).some((s) => weights.get(s.name)?.dtype === 'i8');
    const get = (name: string): Tensor => weights.get(name) as Tensor;
    const id = (i: number): number => i;

    const columns = inputColumns(arch);
    this.tables = columns.filter((c) => !c.channel.dense).map((c) => ({ ...c, table: this.placeTable(weights, c.channel.tensor) }));
    this.charLms = columns
      .filter((c) => c.channel.dense)
      .flatMap(({ col, dim: H }) =>
        CHAR_LM_DIRECTIONS.map((dir, d) => {
          const E = get(charLmTensor(dir, 'embed')).shape[1];
          const Ep = roundUp(E, PAD);
          return {
            col: col + d * H, H, E, Ep,
            embed: this.placeTable(weights, charLmTensor(dir, 'embed')),
            wih: this.placeMatrix(weights, charLmTensor(dir, 'w_ih'), 4 * H, id, Ep, id),
            whh: this.placeMatrix(weights, charLmTensor(dir, 'w_hh'), 4 * H, id, H, id),
            bias: kernels.allocCopy(get(charLmTensor(dir, 'bias')).data as Float32Array),
            reverse: d,
          };
        }),
      );

    // columns of a layer input: layer 0 = the embeddings (identity); above = [h_fw | h_bw] with padded halves
    let inP = this.in0P;
    let colMap: (c: number) => number = id;
    this.layers = [];
    const fold = options.foldInput !== false && (options.foldCacheBytes ?? 0) > 0 && arch.lstm.length > 0 && this.charLms.length === 0;
    arch.lstm.forEach((H, l) => {
      const Hp = roundUp(H, PAD);
      const gateRow = (r: number): number => Math.floor(r / H) * Hp + (r % H);
      const plan: LayerPlan = { H, Hp, inP, wih: [], whh: [], bias: [] };
      for (const dir of DIRECTIONS) {
        // folded, layer 0's W_ih is placed per fold group instead (planFold)
        if (!(fold && l === 0)) plan.wih.push(this.placeMatrix(weights, lstmName(l, dir, 'w_ih'), 4 * Hp, gateRow, inP, colMap));
        plan.whh.push(this.placeMatrix(weights, lstmName(l, dir, 'w_hh'), 4 * Hp, gateRow, Hp, id));
        const b = get(lstmName(l, dir, 'bias')).data as Float32Array;
        const bp = new Float32Array(4 * Hp); // f32 [4Hp], padded units 0
        for (let r = 0; r < 4 * H; r++) bp[gateRow(r)] = b[r];
        plan.bias.push(kernels.allocCopy(bp));
      }
      this.layers.push(plan);
      inP = 2 * Hp;
      colMap = (c: number) => (c < H ? c : Hp + (c - H));
    });
    this.fold = fold ? this.planFold(weights, options.foldCacheBytes!) : [];
    this.folded = this.fold.length > 0;
    this.dense = this.placeMatrix(weights, 'dense.w', this.K, id, inP, colMap);
    const db = new Float32Array(roundUp(this.K, 4)); // f32 [K] + zeros up to a whole panel
    db.set(get('dense.b').data as Float32Array);
    this.denseBias = kernels.allocCopy(db);
    if (arch.crf) {
      this.trans = kernels.allocCopy(get('crf.trans').data as Float32Array);
      this.start = kernels.allocCopy(get('crf.start').data as Float32Array);
      this.end = kernels.allocCopy(get('crf.end').data as Float32Array);
    } else {
      this.trans = kernels.allocCopy(new Float32Array(this.K * this.K));
      this.start = kernels.allocCopy(new Float32Array(this.K));
      this.end = kernels.allocCopy(new Float32Array(this.K));
    }
  }

  /** The fold groups of layer 0 (FoldGroup): weight columns packed per direction, caches sized to the budget. */
  private planFold(weights: Weights, budget: number): FoldGroup[] {
    const { H, Hp } = this.layers[0];
    const rowBytes = 4 * 8 * Hp;
    const gateRow = (r: number): number => Math.floor(r / H) * Hp + (r % H);
    const groups = this.tables.flatMap(({ channel, col, dim, slots, table }) =>
      Array.from({ length: slots }, (_, slot) => ({ field: channel.field, slots, slot, table, dim, c0: col + slot * dim })),
    );
    let need = 0;
    for (const g of groups) need += g.table.rows * rowBytes;
    const share = Math.min(1, budget / need);
    return groups.map(({ c0, ...g }) => {
      const dimP = roundUp(g.dim, PAD);
      // W_ih's columns [c0, c0 + dim) of each direction, as stored (f32 or int8 + row scales): [4Hp × dimP]
      const w = DIRECTIONS.map((dir) => this.placeMatrix(weights, lstmName(0, dir, 'w_ih'), 4 * Hp, gateRow, dimP, (c) => c - c0, [c0, c0 + g.dim]));
      const capacity = Math.floor(g.table.rows * share);
      const chunkSlots = Math.max(1, Math.min(FOLD_CHUNK, capacity));
      return { ...g, dimP, w, slotOf: new Int32Array(g.table.rows), used: 0, capacity, chunks: [], chunkSlots, ids: new Int32Array(0), fresh: [] };
    });
  }

  /**
   * Before a batch's scratch is marked: per fold group, its ids in row order and those without a row yet, which get
   * a slot while the budget has room (allocating the cache chunk by chunk, so it must happen outside mark/reset:
   * the cache outlives the batch) or else a scratch row of this batch.
   */
  private foldSlots(members: number[], batch: SentenceBatch, lens: number[], rowStart: Int32Array, R: number): void {
    const rowBytes = 4 * 8 * this.layers[0].Hp;
    for (const g of this.fold) {
      if (g.ids.length < R) g.ids = new Int32Array(Math.max(R, 2 * g.ids.length));
      const ids = g.ids;
      idsInRowOrder(ids, members.map((s) => batch[g.field]![s]), lens, rowStart, g.slots, g.slot);
      g.fresh = [];
      for (let r = 0; r < R; r++) {
        const id = ids[r];
        if (g.slotOf[id] !== 0) continue;
        if (g.used < g.capacity) {
          if (g.used === g.chunks.length * g.chunkSlots) g.chunks.push(this.k.alloc(g.chunkSlots * rowBytes));
          g.slotOf[id] = ++g.used; // slot + 1
        } else {
          g.slotOf[id] = -1 - g.fresh.length; // scratch row
        }
        g.fresh.push(id);
      }
    }
  }

  /**
   * Inside the batch's mark: the rows of the ids foldSlots found new (the same matrix kernel as the unfolded product,
   * over the group's columns), copied into their slots; returns the pointer matrix i32 [groups × R] of every row's
   * [fw 4Hp | bw 4Hp] gate terms for add_rows.
   */
  private foldRows(R: number): number {
    const k = this.k;
    const rowBytes = 4 * 8 * this.layers[0].Hp;
    const pPtrs = k.alloc(4 * R * this.fold.length);
    this.fold.forEach((g, gi) => {
      const { ids, fresh } = g;
      const scratch = fresh.length > 0 ? this.computeRows(g, fresh) : 0;
      const ptr = k.i32(pPtrs + 4 * R * gi, R);
      for (let r = 0; r < R; r++) {
        const v = g.slotOf[ids[r]];
        ptr[r] = v > 0 ? this.slotAddress(g, v - 1) : scratch + (-1 - v) * rowBytes;
      }
      for (const id of fresh) if (g.slotOf[id] < 0) g.slotOf[id] = 0; // scratch rows end with the batch
      g.fresh = [];
    });
    return pPtrs;
  }

  private slotAddress(g: FoldGroup, slot: number): number {
    return g.chunks[Math.floor(slot / g.chunkSlots)] + (slot % g.chunkSlots) * 4 * 8 * this.layers[0].Hp;
  }

  /**
   * The rows of `ids` (none of them cached yet) in scratch f32 [ids × 8Hp] — inside the caller's mark — and copied
   * into the slots slotOf gives them (> 0); returns the scratch's address.
   */
  private computeRows(g: FoldGroup, ids: number[]): number {
    const k = this.k;
    const Hp = this.layers[0].Hp;
    const rowBytes = 4 * 8 * Hp;
    const m = ids.length;
    const pIds = k.allocCopy(Int32Array.from(ids));
    const X = k.alloc(4 * m * g.dimP); //          f32 [m × dimP]
    const scratch = k.alloc(m * rowBytes); //      f32 [m × 8Hp]
    this.gather(X, g.dimP, 0, pIds, m, g.table, g.dim);
    k.exports.zero_cols(X, g.dimP, m, g.dim, g.dimP);
    const xq = this.needsQuant(g.w) ? this.quantize(X, g.dimP, m) : null;
    for (let d = 0; d < 2; d++) this.project(scratch + d * 16 * Hp, 8 * Hp, X, g.dimP, xq, g.w[d], 0, m);
    const bytes = new Uint8Array(k.memory.buffer);
    ids.forEach((id, i) => {
      const v = g.slotOf[id];
      if (v > 0) bytes.copyWithin(this.slotAddress(g, v - 1), scratch + i * rowBytes, scratch + (i + 1) * rowBytes);
    });
    return scratch;
  }

  /** Embedding table as is: f32 [V × dim] or i8 [V × dim] + scales [V]. */
  private placeTable(weights: Weights, name: string): Placed {
    const t = weights.get(name) as Tensor;
    const [rows, cols] = t.shape;
    if (t.dtype === 'i8') {
      const scale = this.k.allocCopy((weights.get(`${name}.scale`) as Tensor).data as Float32Array);
      return { ptr: this.k.allocCopy(t.data as Int8Array), scale, rows, ld: cols };
    }
    return { ptr: this.k.allocCopy(t.data as Float32Array), scale: 0, rows, ld: cols };
  }

  /**
   * A 2-D weight re-laid into [rowsOut × colsOut] (zero padding) at rowMap(r), colMap(c); only the columns
   * [from, to) of the weight when `range` is given (default: all).
   */
  private placeMatrix(
    weights: Weights, name: string, rowsOut: number, rowMap: (r: number) => number,
    colsOut: number, colMap: (c: number) => number, range?: [number, number],
  ): Placed {
    const t = weights.get(name) as Tensor;
    const rows = t.shape[0];
    const [from0, to] = range ?? [0, t.shape[1]];
    const stride = t.shape[1];
    const cols = to - from0;
    const cmap = new Int32Array(cols); // column c of the range = weight column from0 + c
    for (let c = 0; c < cols; c++) cmap[c] = colMap(from0 + c);
    if (t.dtype === 'i8') {
      const src = t.data as Int8Array;
      const srcScale = (weights.get(`${name}.scale`) as Tensor).data as Float32Array;
      const s = new Float32Array(roundUp(rowsOut, 4)); // f32 [rowsOut] (zero up to a whole panel)
      for (let r = 0; r < rows; r++) s[rowMap(r)] = srcScale[r];
      const scale = this.k.allocCopy(s);
      // straight into the panel layout of packPanelsI8 in wasm memory: (n, k) → (n >> 2)·4K + (k >> 3)·32 + (n & 3)·8 + (k & 7)
      const bytes = Math.ceil(rowsOut / 4) * 4 * colsOut;
      const ptr = this.k.alloc(bytes);
      const out = this.k.i8(ptr, bytes);
      out.fill(0);
      // panel offset of each column: (k >> 3) * 32 + (k & 7)
      const coff = new Int32Array(cols);
      for (let c = 0; c < cols; c++) coff[c] = (cmap[c] >> 3) * 32 + (cmap[c] & 7);
      for (let r = 0; r < rows; r++) {
        const n = rowMap(r);
        const base = (n >> 2) * 4 * colsOut + (n & 3) * 8;
        const from = r * stride + from0;
        for (let c = 0; c < cols; c++) out[base + coff[c]] = src[from + c];
      }
      return { ptr, scale, rows: rowsOut, ld: colsOut };
    }
    const src = t.data as Float32Array;
    // straight into the panel layout of packPanelsF32 in wasm memory: (n, k) → (n >> 2)·4K + (k >> 2)·16 + (n & 3)·4 + (k & 3)
    const count = Math.ceil(rowsOut / 4) * 4 * colsOut;
    const ptr = this.k.alloc(count * 4);
    const out = this.k.f32(ptr, count);
    out.fill(0);
    const coff = new Int32Array(cols);
    for (let c = 0; c < cols; c++) coff[c] = (cmap[c] >> 2) * 16 + (cmap[c] & 3);
    for (let r = 0; r < rows; r++) {
      const n = rowMap(r);
      const base = (n >> 2) * 4 * colsOut + (n & 3) * 4;
      const from = r * stride + from0;
      for (let c = 0; c < cols; c++) out[base + coff[c]] = src[from + c];
    }
    return { ptr, scale: 0, rows: rowsOut, ld: colsOut };
  }

  // ------------------------------------------------------------ emissions

  emissions(batch: SentenceBatch): Float32Array[] {
    const n = this.validateBatch(batch);
    const lengths = batch.charIds.map((c) => c.length);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
    const out: Float32Array[] = new Array(n);
    for (let s = 0; s < n; s++) if (lengths[s] === 0) out[s] = new Float32Array(0);
    let i = 0; // empty sentences sort last
    while (i < n && lengths[order[i]] > 0) {
      let j = i;
      let chars = 0;
      while (j < n && j - i < this.batchSize && lengths[order[j]] > 0 && (j === i || chars + lengths[order[j]] <= this.maxBatchChars)) {
        chars += lengths[order[j]];
        j++;
      }
      const members = order.slice(i, j);
      const results = this.runBatch(members, batch);
      members.forEach((s, b) => (out[s] = results[b]));
      i = j;
    }
    return out;
  }

  private validateBatch(batch: SentenceBatch): number {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.charIds)) {
      throw new TypeError('emissions: expected { charIds: Int32Array[], wordIds: Int32Array[] }');
    }
    // charIds give the sentences and their lengths, whether or not the char channel is on
    const n = batch.charIds.length;
    for (let s = 0; s < n; s++) if (!(batch.charIds[s] instanceof Int32Array)) throw new TypeError(`emissions: charIds[${s}] must be an Int32Array`);
    for (const ch of CHANNELS) {
      if (!channelPresent(ch, this.arch)) continue;
      const list = batch[ch.field];
      if (ch.core && !Array.isArray(list)) throw new TypeError(`emissions: ${ch.field} must be an array of Int32Array`);
      if (channelColumns(ch, this.arch) === 0) continue; // a core channel that is off: its ids are not read
      if (ch.core && list!.length !== n) throw new Error(`emissions: ${n} sentences of charIds but ${list!.length} of ${ch.field}`);
      const per = ch.idsPerToken(this.arch);
      for (let s = 0; s < n; s++) {
        const T = batch.charIds[s].length;
        const ids = list?.[s];
        if (!(ids instanceof Int32Array)) {
          const model = ch.core ? '' : `the model has a ${ch.name} channel: `;
          throw new TypeError(`emissions: ${model}${ch.field}[${s}] must be an Int32Array${per > 1 ? ` [T × ${per}]` : ''}`);
        }
        if (ids.length !== T * per) {
          throw new Error(`emissions: sentence ${s} has ${T} char ids but ${ids.length} ${ch.name} ids${per > 1 ? ` (expected ${T} × ${per})` : ''}`);
        }
        const bad = badChannelId(ch, this.arch, ids);
        if (bad) throw new RangeError(`emissions: ${ch.field}[${s}][${bad.index}] ${bad.text}`);
      }
    }
    return n;
  }

  /** One lockstep batch; sentences sorted by length, longest first, all non-empty. */
  private runBatch(members: number[], batch: SentenceBatch): Float32Array[] {
    const k = this.k;
    const ex = k.exports;
    const B = members.length;
    const lens = members.map((s) => batch.charIds[s].length); // descending
    const T = lens[0];
    // rowStart[t] = first row of step t; nAct(t) = sentences with len > t (a prefix)
    const rowStart = new Int32Array(T + 1);
    for (let t = 0, b = B; t < T; t++) {
      while (b > 0 && lens[b - 1] <= t) b--;
      rowStart[t + 1] = rowStart[t] + b;
    }
    const R = rowStart[T];
    if (this.fold.length > 0) this.foldSlots(members, batch, lens, rowStart, R);
    const mark = k.mark();
    try {
      // ---- allocations that the inputs need (views are taken after them)
      const pRowStart = k.alloc(4 * (T + 1));
      const pLens = k.alloc(4 * B);
      k.i32(pRowStart, T + 1).set(rowStart);
      k.i32(pLens, B).set(lens);
      const folded = this.fold.length > 0 ? this.foldRows(R) : null;
      const ldx0 = this.in0P;
      const X0 = folded !== null ? 0 : this.embedInputs(members, batch, lens, rowStart, R, B, T, pRowStart, pLens);

      // ---- BiLSTM layers (one G buffer, sized for the widest layer, serves every layer and direction)
      let x = X0;
      let ldx = ldx0;
      let maxHp = 0;
      for (const L of this.layers) maxHp = Math.max(maxHp, L.Hp);
      const work = this.layers.length > 0 ? k.alloc(ex.lstm_work_bytes(B, maxHp) >>> 0) : 0;
      const G = this.layers.length > 0 ? k.alloc(4 * R * 4 * maxHp) : 0; // f32 [R × 4Hp]
      this.layers.forEach((L, l) => {
        const Y = k.alloc(4 * R * 2 * L.Hp); //    f32 [R × 2Hp]  [h_fw | h_bw]
        const fold = l === 0 ? folded : null;
        const xq = fold === null && this.needsQuant(L.wih) ? this.quantize(x, ldx, R) : null;
        for (let d = 0; d < 2; d++) {
          if (fold !== null) {
            // G = b + Σ_groups its cached row (FoldGroup)
            ex.add_rows(G, 4 * L.Hp, R, fold, this.fold.length, d * 16 * L.Hp, 4 * L.Hp, L.bias[d]);
          } else {
            this.project(G, 4 * L.Hp, x, ldx, xq, L.wih[d], L.bias[d], R); // G = x · W_ihᵀ + b
          }
          ex.lstm_dir(G, Y, 2 * L.Hp, d * L.Hp, L.Hp, L.whh[d].ptr, L.whh[d].scale, pRowStart, pLens, B, T, d, work);
        }
        x = Y;
        ldx = 2 * L.Hp;
      });
      // ---- dense → Em [R × K]
      const K = this.K;
      const Em = k.alloc(4 * R * K);
      const xq = this.dense.scale !== 0 ? this.quantize(x, ldx, R) : null;
      this.project(Em, K, x, ldx, xq, this.dense, this.denseBias, R);

      const em = k.f32(Em, R * K);
      return lens.map((len, b) => {
        const o = new Float32Array(len * K); // [T × K]
        for (let t = 0; t < len; t++) {
          const src = (rowStart[t] + b) * K;
          for (let j = 0; j < K; j++) o[t * K + j] = em[src + j];
        }
        return o;
      });
    } catch (e) {
      // rows promised to slots by foldSlots were not all written: forget those ids (they are computed again)
      for (const g of this.fold) for (const id of g.fresh) g.slotOf[id] = 0;
      throw e;
    } finally {
      k.reset(mark);
    }
  }

  /** The layer-0 input X0 f32 [R × In0p]: every channel's embedding rows (and the char LMs' h) in its columns. */
  private embedInputs(
    members: number[], batch: SentenceBatch, lens: number[], rowStart: Int32Array, R: number, B: number, T: number,
    pRowStart: number, pLens: number,
  ): number {
    const k = this.k;
    const ex = k.exports;
    const pIds = k.alloc(4 * R); //              i32 [R] one channel's ids in row order, reused channel by channel
    const ldx0 = this.in0P;
    const X0 = k.alloc(4 * R * ldx0); //         f32 [R × In0p]
    // ---- embeddings → X0 [R × In0p], channel by channel (layout.ts: char | word | bigram | lex per type)
    // per[b][t·stride + slot] → row rowStart[t] + b, then the channel's table rows into columns [col, col + dim)
    for (const { channel, col, dim, slots, table } of this.tables) {
      // slot j of a channel with several ids per token (the lexicon: one per type) → columns [col + j·dim, … + dim)
      const per = members.map((s) => batch[channel.field]![s]);
      for (let j = 0; j < slots; j++) {
        idsInRowOrder(k.i32(pIds, R), per, lens, rowStart, slots, j);
        this.gather(X0, ldx0, col + j * dim, pIds, R, table, dim);
      }
    }
    // the charLm channel: each char LM over the char ids, its h into X0's columns (fw, then bw reversed)
    const charIds = members.map((s) => batch.charIds[s]);
    for (const lm of this.charLms) {
      idsInRowOrder(k.i32(pIds, R), charIds, lens, rowStart, 1, 0);
      const mark2 = k.mark();
      const X = k.alloc(4 * R * lm.Ep); //    f32 [R × Ep]
      const G = k.alloc(4 * R * 4 * lm.H); //   f32 [R × 4H]
      const work = k.alloc(ex.lstm_work_bytes(B, lm.H) >>> 0);
      this.gather(X, lm.Ep, 0, pIds, R, lm.embed, lm.E);
      ex.zero_cols(X, lm.Ep, R, lm.E, lm.Ep);
      const xq = lm.wih.scale !== 0 ? this.quantize(X, lm.Ep, R) : null;
      this.project(G, 4 * lm.H, X, lm.Ep, xq, lm.wih, lm.bias, R); // G = x · W_ihᵀ + b
      ex.lstm_dir(G, X0, ldx0, lm.col, lm.H, lm.whh.ptr, lm.whh.scale, pRowStart, pLens, B, T, lm.reverse, work);
      k.reset(mark2);
    }
    ex.zero_cols(X0, ldx0, R, this.in0, ldx0);
    return X0;
  }

  private gather(X: number, ldx: number, col: number, ids: number, R: number, table: Placed, dim: number): void {
    if (table.scale !== 0) this.k.exports.embed_i8(X, ldx, col, ids, R, table.ptr, table.scale, dim);
    else this.k.exports.embed_f32(X, ldx, col, ids, R, table.ptr, dim);
  }

  private needsQuant(ws: Placed[]): boolean {
    return ws.some((w) => w.scale !== 0);
  }

  /** i16 copy of X [R × ld] with per-row scales, for the int8 matrix products. */
  private quantize(X: number, ld: number, R: number): { q: number; s: number } {
    const q = this.k.alloc(2 * R * ld);
    const s = this.k.alloc(4 * R);
    this.k.exports.quantize_rows(q, ld, s, X, ld, R, ld, ld);
    return { q, s };
  }

  /** Y[R × N] = X · Wᵀ + b, with the f32 or the int8 kernel as W is stored. */
  private project(Y: number, ldy: number, X: number, ldx: number, xq: { q: number; s: number } | null, W: Placed, bias: number, R: number): void {
    if (W.scale !== 0) {
      const q = xq as { q: number; s: number };
      this.k.exports.matmul_q8(Y, ldy, q.q, ldx, q.s, W.ptr, W.scale, bias, R, W.rows, W.ld);
    } else {
      this.k.exports.matmul_f32(Y, ldy, X, ldx, W.ptr, bias, R, W.rows, W.ld);
    }
  }

  // ------------------------------------------------------------ CRF decoding

  private checkEm(fn: string, em: Float32Array, T: number): void {
    if (!(em instanceof Float32Array)) throw new TypeError(`${fn}: em must be a Float32Array`);
    if (!Number.isInteger(T) || T < 0) throw new Error(`${fn}: T must be an integer ≥ 0, got ${T}`);
    if (em.length !== T * this.K) {
      throw new Error(`${fn}: em has ${em.length} values, expected T × K = ${T} × ${this.K} = ${T * this.K}`);
    }
  }

  /** Copies em into wasm (as log-softmax for crf=false); returns its pointer. Call inside mark/reset. */
  private placeEm(em: Float32Array, T: number): number {
    const p = this.k.allocCopy(em);
    if (!this.arch.crf) this.k.exports.log_softmax(p, T, this.K, p);
    return p;
  }

  viterbi(em: Float32Array, T: number): ScoredPath {
    this.checkEm('viterbi', em, T);
    if (T === 0) return { path: new Int32Array(0), score: 0 };
    const k = this.k;
    const mark = k.mark();
    try {
      const p = this.placeEm(em, T);
      const work = k.alloc(k.exports.viterbi_work_bytes(T, this.K) >>> 0);
      const out = k.alloc(4 * T);
      const score = k.exports.viterbi(p, T, this.K, this.trans, this.start, this.end, work, out);
      return { path: k.i32(out, T).slice(), score };
    } finally {
      k.reset(mark);
    }
  }

  viterbiBatch(ems: Float32Array[]): ScoredPath[] {
    if (!Array.isArray(ems)) throw new TypeError('viterbiBatch: expected an array of Float32Array');
    return ems.map((em, s) => {
      if (!(em instanceof Float32Array) || em.length % this.K !== 0) {
        throw new Error(`viterbiBatch: ems[${s}] must be a Float32Array whose length is a multiple of K = ${this.K}`);
      }
      return this.viterbi(em, em.length / this.K);
    });
  }

  kbest(em: Float32Array, T: number, kPaths: number): ScoredPath[] {
    this.checkEm('kbest', em, T);
    if (!Number.isInteger(kPaths) || kPaths < 1) throw new Error(`kbest: k must be an integer ≥ 1, got ${kPaths}`);
    if (T === 0) return [{ path: new Int32Array(0), score: 0 }];
    const k = this.k;
    const mark = k.mark();
    try {
      const p = this.placeEm(em, T);
      const work = k.alloc(k.exports.kbest_work_bytes(T, this.K, kPaths) >>> 0);
      const paths = k.alloc(4 * T * kPaths);
      const scores = k.alloc(8 * kPaths);
      const n = k.exports.kbest(p, T, this.K, this.trans, this.start, this.end, kPaths, work, paths, scores);
      const pv = k.i32(paths, T * n);
      const sv = k.f64(scores, n);
      const result: ScoredPath[] = [];
      for (let i = 0; i < n; i++) result.push({ path: pv.slice(i * T, (i + 1) * T), score: sv[i] });
      return result;
    } finally {
      k.reset(mark);
    }
  }

  softmax(em: Float32Array, T: number): Float32Array {
    this.checkEm('softmax', em, T);
    if (T === 0) return new Float32Array(0);
    const k = this.k;
    const mark = k.mark();
    try {
      const p = k.allocCopy(em);
      k.exports.softmax(p, T, this.K, p);
      return k.f32(p, T * this.K).slice();
    } finally {
      k.reset(mark);
    }
  }

  argmax(em: Float32Array, T: number): Int32Array {
    this.checkEm('argmax', em, T);
    const K = this.K;
    const out = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      let best = 0;
      for (let j = 1; j < K; j++) if (em[t * K + j] > em[t * K + best]) best = j;
      out[t] = best;
    }
    return out;
  }
}
