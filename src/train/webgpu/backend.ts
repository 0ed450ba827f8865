/**
 * WebGpuBackend: the TrainingBackend (src/train/backend.ts) on WebGPU. The same network and the same numbers as
 * WasmBackend (src/train/graph.ts on train.wasm), with every step of a training step on the GPU:
 *
 *   batch ids ─► embedding gather (per channel) ─► per layer: BiLSTM (lstm.ts) ─► concat(h_fw, h_bw) ─► dropout
 *   ─► dense (dense.ts) ─► CRF NLL / softmax cross-entropy (+ dE) ─► backward in reverse ─► embedding scatter-add
 *
 * Parameters, gradients and Adam moments are four flat f32 buffers in the layout of src/train/params.ts; they stay
 * on the GPU for the whole run. Per forwardBackward only the batch goes up (ids, lengths, keys, and each channel's
 * rows grouped by id for the scatter) and the loss comes back; per step the [gradNorm, clipped] pair comes back.
 *
 * Reading the vectors: the TrainingBackend getters are synchronous and a GPU readback is not, so the backend keeps
 * host copies, refreshed by `await backend.sync()`. A getter whose vector has changed on the GPU since the last
 * sync throws and says so (it never answers stale numbers). setParameters / setOptimizerState write both copies.
 *
 * Decode runs the forward pass on the GPU, reads the emissions back and runs Viterbi (or per-step argmax without
 * a CRF) on the CPU with the wasm kernel WasmBackend uses.
 */

import type { ChannelField } from '../../features/channels.js';
import type { Weights } from '../../model/layout.js';
import { inputColumns, inputSize } from '../../model/layout.js';
import {
  type AdamOptions,
  DECODE_CHUNK,
  type ForwardBackwardOptions,
  type OptimizerState,
  type StepStats,
  type TrainingBackend,
  type UpdateResult,
  lengthChunks,
} from '../backend.js';
import { type PreparedBatch, type Sentence, prepareBatch } from '../batch.js';
import { checkAverageUpdate } from '../ema.js';
import { TrainKernels, loadTrainingModule } from '../kernels.js';
import type { ParamLayout } from '../params.js';
import { ADAM_STATS, AdamStep, readUpdateResult } from './adam.js';
import { GpuContext } from './context.js';
import { CrfNll } from './crf.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Embedding, groupRows, packGroups } from './embed.js';
import { EmaUpdate } from './ema.js';
import { type LstmBackwardBuffers, LstmLayer, SeqCopy, lstmBufferSizes } from './lstm.js';
import { Matmul } from './matmul.js';
import { SoftmaxXent } from './softmax.js';

export interface WebGpuBackendOptions {
  adapter: GPUAdapter;
  /** accepted for the backend factory's uniform options; unused (the backend draws nothing at random itself) */
  seed?: number;
}

/** One embedding gather: a channel's table, its columns in X0 and which of its ids per token it reads. */
interface Channel {
  tensor: string;
  col: number;
  dim: number;
  field: ChannelField;
  /** ids per token in `field` (1, or the lexicon's types) and the one this gather reads */
  stride: number;
  slot: number;
}

/** The gathers of every input channel (inputColumns, layout.ts), one per id slot, in X0's column order. */
function channels(layout: ParamLayout): Channel[] {
  return inputColumns(layout.arch).flatMap(({ channel, col, dim, slots }) =>
    Array.from({ length: slots }, (_, slot) => ({
      tensor: channel.tensor,
      col: col + slot * dim,
      dim,
      field: channel.field,
      stride: slots,
      slot,
    })),
  );
}

/** Seed of layer l's dropout mask within one step: the rule of graph.ts (layerSeed), so both backends draw alike. */
function layerSeed(seed: number, l: number): number {
  return (seed + Math.imul(l + 1, 0x9e3779b1)) >>> 0;
}

type Vec = 'params' | 'grads' | 'm' | 'v';

export class WebGpuBackend implements TrainingBackend {
  readonly layout: ParamLayout;
  readonly ctx: GpuContext;
  private readonly n: number;
  private readonly gpu: Record<Vec, GPUBuffer>;
  /** host copies; `stale` names the ones the GPU has changed since the last sync */
  private readonly host: Record<Vec, Float32Array>;
  private readonly stale = new Set<Vec>();
  private stepCount = 0;
  private readonly stats: GPUBuffer;
  private readonly lossBuf: GPUBuffer;
  private readonly mm: Matmul;
  private readonly seq: SeqCopy;
  private readonly emb: Embedding;
  private readonly layers: LstmLayer[];
  private readonly dropouts: Dropout[];
  private readonly dense: Dense;
  private readonly crf: CrfNll | null;
  private readonly softmax: SoftmaxXent | null;
  private readonly adam: AdamStep;
  private readonly channels: Channel[];
  /** activation and batch buffers by name, grown on demand and reused across steps */
  private readonly pool = new Map<string, GPUBuffer>();
  private kernels: TrainKernels | null = null;
  private disposed = false;
  /**
   * The weight average (startAverage; config.ema): a GPU buffer beside the parameters, folded in by EmaUpdate after
   * every step with nothing read back; its host copy is refreshed by sync() like the others. null until started.
   */
  private average: { gpu: GPUBuffer; host: Float32Array; stale: boolean; fold: EmaUpdate | null } | null = null;

  constructor(layout: ParamLayout, ctx: GpuContext) {
    this.layout = layout;
    this.ctx = ctx;
    const a = layout.arch;
    const n = (this.n = layout.total);
    this.gpu = {
      params: ctx.f32('params', n),
      grads: ctx.f32('grads', n),
      m: ctx.f32('adam.m', n),
      v: ctx.f32('adam.v', n),
    };
    this.host = {
      params: new Float32Array(n),
      grads: new Float32Array(n),
      m: new Float32Array(n),
      v: new Float32Array(n),
    };
    this.stats = ctx.f32('stats', ADAM_STATS);
    this.lossBuf = ctx.f32('loss', 1);
    this.mm = new Matmul(ctx);
    this.seq = new SeqCopy(ctx);
    this.emb = new Embedding(ctx);
    this.channels = channels(layout);
    const off = (name: string) => layout.slot(name).offset;
    let inDim = inputSize(a);
    this.layers = a.lstm.map((H, l) => {
      const s = (part: string): [number, number] => [off(`lstm.${l}.fw.${part}`), off(`lstm.${l}.bw.${part}`)];
      const layer = new LstmLayer(ctx, this.mm, this.seq, inDim, H, {
        wih: s('w_ih'),
        whh: s('w_hh'),
        bias: s('bias'),
      });
      inDim = 2 * H;
      return layer;
    });
    this.dropouts = a.lstm.map((H) => new Dropout(ctx, 2 * H));
    this.dense = new Dense(this.mm, inDim, a.tags, { w: off('dense.w'), b: off('dense.b') });
    this.crf = a.crf
      ? new CrfNll(ctx, a.tags, { start: off('crf.start'), end: off('crf.end'), trans: off('crf.trans') })
      : null;
    this.softmax = a.crf ? null : new SoftmaxXent(ctx, a.tags);
    this.adam = new AdamStep(ctx, n);
  }

  // ── parameters and state ───────────────────────────────────────────────────────────────────────────────────

  setParameters(params: Weights | Float32Array): void {
    this.live();
    let flat: Float32Array;
    if (params instanceof Float32Array) {
      if (params.length !== this.n) throw new Error(`setParameters: expected ${this.n} floats, got ${params.length}`);
      flat = params;
    } else {
      flat = this.layout.fromWeights(params);
    }
    this.host.params.set(flat);
    this.ctx.write(this.gpu.params, this.host.params);
    this.stale.delete('params');
  }

  getParameters(): Weights {
    return this.layout.toWeights(this.fresh('params', 'getParameters'));
  }

  getFlatParameters(): Float32Array {
    return this.fresh('params', 'getFlatParameters').slice();
  }

  getGradients(): Float32Array {
    return this.fresh('grads', 'getGradients').slice();
  }

  getOptimizerState(): OptimizerState {
    return {
      step: this.stepCount,
      m: this.fresh('m', 'getOptimizerState').slice(),
      v: this.fresh('v', 'getOptimizerState').slice(),
    };
  }

  setOptimizerState(state: OptimizerState): void {
    this.live();
    const n = this.n;
    if (!(Number.isInteger(state.step) && state.step >= 0))
      throw new Error(`optimizer state: expected step ≥ 0, got ${state.step}`);
    if (state.m.length !== n || state.v.length !== n) {
      throw new Error(`optimizer state: expected moments of ${n} floats, got ${state.m.length} / ${state.v.length}`);
    }
    this.host.m.set(state.m);
    this.host.v.set(state.v);
    this.ctx.write(this.gpu.m, this.host.m);
    this.ctx.write(this.gpu.v, this.host.v);
    this.stale.delete('m');
    this.stale.delete('v');
    this.stepCount = state.step;
  }

  /** Brings the host copies that the GPU has changed up to date (one readback per changed vector). */
  async sync(): Promise<void> {
    this.live();
    for (const name of [...this.stale]) {
      this.host[name].set(await this.ctx.readF32(this.gpu[name], this.n));
      this.stale.delete(name);
    }
    if (this.average?.stale) {
      this.average.host.set(await this.ctx.readF32(this.average.gpu, this.n));
      this.average.stale = false;
    }
  }

  // ── the weight average ─────────────────────────────────────────────────────────────────────────────────────

  startAverage(weights?: Float32Array): void {
    this.live();
    const n = this.n;
    if (weights && weights.length !== n) throw new Error(`startAverage: expected ${n} floats, got ${weights.length}`);
    const a = (this.average ??= {
      gpu: this.ctx.f32('average', n),
      host: new Float32Array(n),
      stale: false,
      fold: null,
    });
    if (weights) {
      a.host.set(weights);
      this.ctx.write(a.gpu, a.host);
      a.stale = false;
      return;
    }
    const enc = this.ctx.encoder('startAverage');
    enc.copyBufferToBuffer(this.gpu.params, 0, a.gpu, 0, 4 * n);
    this.ctx.submit(enc);
    a.stale = this.stale.has('params');
    if (!a.stale) a.host.set(this.host.params);
  }

  updateAverage(decay: number, step: number): void {
    const a = this.averageOf('updateAverage');
    checkAverageUpdate(decay, step);
    if (a.fold?.decay !== decay) a.fold = new EmaUpdate(this.ctx, this.n, decay);
    const enc = this.ctx.encoder('updateAverage');
    a.fold.encode(enc, { ema: a.gpu, params: this.gpu.params, step });
    this.ctx.submit(enc);
    a.stale = true;
  }

  getAverage(): Float32Array {
    const a = this.averageOf('getAverage');
    if (a.stale)
      throw new Error(
        'WebGpuBackend.getAverage: the average changed on the GPU since the last sync(); await backend.sync() first',
      );
    return a.host.slice();
  }

  /** Exchanges the buffers (and host copies) themselves: every dispatch takes this.gpu.params when it is encoded. */
  swapAverage(): void {
    const a = this.averageOf('swapAverage');
    [this.gpu.params, a.gpu] = [a.gpu, this.gpu.params];
    [this.host.params, a.host] = [a.host, this.host.params];
    const paramsStale = this.stale.has('params');
    if (a.stale) this.stale.add('params');
    else this.stale.delete('params');
    a.stale = paramsStale;
  }

  private averageOf(what: string): NonNullable<WebGpuBackend['average']> {
    this.live();
    if (!this.average) throw new Error(`${what}: no weight average; call startAverage first`);
    return this.average;
  }

  zeroGrad(): void {
    this.live();
    const enc = this.ctx.encoder('zeroGrad');
    enc.clearBuffer(this.gpu.grads);
    this.ctx.submit(enc);
    this.host.grads.fill(0);
    this.stale.delete('grads');
  }

  // ── training ───────────────────────────────────────────────────────────────────────────────────────────────

  async forwardBackward(sentences: Sentence[], opts: ForwardBackwardOptions): Promise<StepStats> {
    this.live();
    if (!(opts.dropout >= 0 && opts.dropout < 1))
      throw new Error(`dropout: expected a probability in [0, 1), got ${opts.dropout}`);
    const batch = prepareBatch(sentences, this.layout.arch, opts.keys);
    const enc = this.ctx.encoder('forwardBackward');
    const bufs = this.upload(batch, true);
    const top = this.encodeForward(enc, batch, bufs, opts.dropout, opts.seed);
    this.encodeBackward(enc, batch, bufs, top, opts.dropout > 0);
    this.ctx.submit(enc);
    this.stale.add('grads');
    const [loss] = await this.ctx.readF32(this.lossBuf, 1);
    return { loss, sentences: batch.B, chars: batch.chars };
  }

  async step(adam: AdamOptions, batchSize: number): Promise<UpdateResult> {
    this.live();
    const enc = this.ctx.encoder('step');
    const g = this.gpu;
    this.adam.encode(enc, {
      params: g.params,
      grads: g.grads,
      m: g.m,
      v: g.v,
      stats: this.stats,
      statsIndex: 0,
      adam,
      step: this.stepCount + 1,
      batchSize,
    });
    this.ctx.submit(enc);
    const result = readUpdateResult(await this.ctx.readF32(this.stats, ADAM_STATS)); // throws when diverged: nothing was changed
    this.stepCount++;
    for (const name of ['params', 'm', 'v'] as const) this.stale.add(name);
    this.host.grads.fill(0);
    this.stale.delete('grads');
    return result;
  }

  async decode(sentences: Sentence[]): Promise<Int32Array[]> {
    this.live();
    const a = this.layout.arch;
    const K = a.tags;
    const k = (this.kernels ??= new TrainKernels(loadTrainingModule()));
    const ex = k.exports;
    const crf = a.crf ? await this.crfParams() : null;
    const out: Int32Array[] = new Array(sentences.length);
    for (const chunk of lengthChunks(sentences, DECODE_CHUNK)) {
      const batch = prepareBatch(
        chunk.map((i) => sentences[i]),
        a,
      );
      const { B, T } = batch;
      const M = B * T;
      const enc = this.ctx.encoder('decode');
      const bufs = this.upload(batch, false);
      this.encodeForward(enc, batch, bufs, 0, 0);
      this.ctx.submit(enc);
      const E = await this.ctx.readF32(bufs.E, M * K);
      const mark = k.mark();
      try {
        const pE = k.allocF32(M * K);
        const pLen = k.alloc(4 * B);
        const pOut = k.alloc(4 * M);
        k.f32(pE, M * K).set(E);
        k.i32(pLen, B).set(batch.lengths);
        if (crf) {
          const pStart = k.allocF32(K);
          const pEnd = k.allocF32(K);
          const pTrans = k.allocF32(K * K);
          k.f32(pStart, K).set(crf.start);
          k.f32(pEnd, K).set(crf.end);
          k.f32(pTrans, K * K).set(crf.trans);
          const work = k.alloc(4 * ex.viterbi_work_size(T, K));
          ex.viterbi(pE, pLen, B, T, K, pStart, pEnd, pTrans, pOut, work);
        } else {
          ex.argmax_rows(pE, pLen, B, T, K, pOut);
        }
        const flat = k.i32(pOut, M);
        for (let b = 0; b < B; b++) {
          const L = batch.lengths[b];
          const path = new Int32Array(L);
          for (let t = 0; t < L; t++) path[t] = flat[t * B + b];
          out[chunk[batch.order[b]]] = path;
        }
      } finally {
        k.reset(mark);
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await this.ctx.sync();
    } finally {
      this.ctx.destroy();
    }
  }

  // ── the graph ──────────────────────────────────────────────────────────────────────────────────────────────

  private live(): void {
    if (this.disposed) throw new Error('WebGpuBackend: used after dispose()');
  }

  private fresh(name: Vec, what: string): Float32Array {
    this.live();
    if (this.stale.has(name))
      throw new Error(
        `WebGpuBackend.${what}: the ${name} changed on the GPU since the last sync(); await backend.sync() first`,
      );
    return this.host[name];
  }

  /** crf.start / end / trans from the host copy when fresh, else read from the GPU. */
  private async crfParams(): Promise<{ start: Float32Array; end: Float32Array; trans: Float32Array }> {
    const read = async (name: string) => {
      const s = this.layout.slot(name);
      if (!this.stale.has('params')) return this.host.params.slice(s.offset, s.offset + s.size);
      return this.ctx.readF32(this.gpu.params, s.size, s.offset);
    };
    return { start: await read('crf.start'), end: await read('crf.end'), trans: await read('crf.trans') };
  }

  /** A pooled buffer of at least `floats` 4-byte words (contents undefined). */
  private buffer(name: string, floats: number): GPUBuffer {
    const bytes = 4 * Math.max(1, floats);
    let b = this.pool.get(name);
    if (!b || b.size < bytes) {
      b?.destroy();
      b = this.ctx.storage(name, Math.max(bytes, Math.ceil((b?.size ?? 0) * 1.25)));
      this.pool.set(name, b);
    }
    return b;
  }

  /** A pooled buffer holding `data`. */
  private upload32(name: string, data: Int32Array): GPUBuffer {
    const b = this.buffer(name, data.length);
    this.ctx.write(b, data);
    return b;
  }

  /** Uploads the batch (and, for training, each channel's rows grouped by id) and sizes the activations. */
  private upload(batch: PreparedBatch, train: boolean): BatchBuffers {
    const { B, T } = batch;
    const M = B * T;
    const ids = new Map<string, GPUBuffer>();
    for (const c of this.channels) {
      const data = batch[c.field];
      if (!data) throw new Error(`batch: the model has a ${c.tensor} channel but the batch has no ${c.field}`);
      if (!ids.has(c.field)) ids.set(c.field, this.upload32(`batch.${c.field}`, data));
    }
    const groups = new Map<Channel, { buffer: GPUBuffer; count: number }>();
    if (train) {
      this.channels.forEach((c, i) => {
        const g = groupRows(batch[c.field]!, c.slot, c.stride, batch.lengths, B, T);
        groups.set(c, { buffer: this.upload32(`batch.groups.${i}`, packGroups(g)), count: g.ids.length });
      });
    }
    const a = this.layout.arch;
    const layers = this.layers.map((layer, l) => {
      const sizes = lstmBufferSizes(layer.inDim, layer.H, B, T);
      const buf = (name: keyof typeof sizes) => this.buffer(`lstm.${l}.${name}`, sizes[name]);
      // Xf: the layer input (X0, or the previous layer's output); its own buffer either way
      return {
        Xf: buf('Xf'), Xb: buf('Xb'), G: buf('G'), Hs: buf('Hs'), Cs: buf('Cs'), TCs: buf('TCs'),
        dH: buf('dH'), WT: buf('WT'), dX: buf('dX'), dXr: buf('dXr'),
        mask: this.buffer(`lstm.${l}.mask`, M * 2 * layer.H),
      }; // prettier-ignore
    });
    const D = this.dense.D;
    return {
      lengths: this.upload32('batch.lengths', batch.lengths),
      active: this.upload32('batch.active', batch.active),
      keys: this.upload32('batch.keys', batch.keys),
      tags: this.upload32('batch.tags', batch.tagIds),
      ids,
      groups,
      X0: layers.length > 0 ? layers[0].Xf : this.buffer('X0', M * inputSize(a)),
      layers,
      top: this.buffer('top', M * D),
      dTop: this.buffer('dTop', M * D),
      E: this.buffer('E', M * a.tags),
      dE: this.buffer('dE', M * a.tags),
    };
  }

  /** Embeddings, BiLSTM layers (dropout after each), dense: fills bufs.E; answers the dense input buffer. */
  private encodeForward(
    enc: GPUCommandEncoder,
    batch: PreparedBatch,
    bufs: BatchBuffers,
    dropout: number,
    seed: number,
  ): GPUBuffer {
    const { B, T } = batch;
    const M = B * T;
    const params = this.gpu.params;
    const ld0 = inputSize(this.layout.arch);
    for (const c of this.channels) {
      this.emb.encodeGather(enc, {
        X: bufs.X0, ld: ld0, col: c.col, dim: c.dim,
        table: { buffer: params, offset: this.layout.slot(c.tensor).offset },
        ids: { buffer: bufs.ids.get(c.field)!, offset: c.slot, stride: c.stride },
        lengths: bufs.lengths, B, T,
      }); // prettier-ignore
    }
    let top = bufs.X0;
    this.layers.forEach((layer, l) => {
      const lb = bufs.layers[l];
      layer.encodeForward(enc, { B, T, active: bufs.active, lengths: bufs.lengths }, { ...lb, params });
      // Y [M, 2H] = concat(h_fw, reverse(h_bw)): the next layer's input buffer, or the dense input
      const Y = l + 1 < this.layers.length ? bufs.layers[l + 1].Xf : bufs.top;
      const H = layer.H;
      this.seq.encode(enc, {
        dst: { buffer: Y, ld: 2 * H },
        src: { buffer: lb.Hs, ld: H },
        lengths: bufs.lengths,
        B,
        T,
        D: H,
        reverse: false,
        acc: false,
      });
      this.seq.encode(enc, {
        dst: { buffer: Y, offset: H, ld: 2 * H },
        src: { buffer: lb.Hs, offset: M * H, ld: H },
        lengths: bufs.lengths,
        B,
        T,
        D: H,
        reverse: true,
        acc: false,
      });
      if (dropout > 0) {
        this.dropouts[l].encode(enc, {
          Y,
          mask: lb.mask,
          lengths: bufs.lengths,
          keys: bufs.keys,
          B,
          T,
          p: dropout,
          seed: layerSeed(seed, l),
        });
      }
      top = Y;
    });
    this.dense.encodeForward(enc, { M, Y: top, params, E: bufs.E });
    return top;
  }

  /** Loss and dE, dense, BiLSTM layers in reverse (dropout masks applied), embedding scatter-add. */
  private encodeBackward(
    enc: GPUCommandEncoder,
    batch: PreparedBatch,
    bufs: BatchBuffers,
    top: GPUBuffer,
    dropout: boolean,
  ): void {
    const { B, T } = batch;
    const M = B * T;
    const { params, grads } = this.gpu;
    const lossArgs = {
      E: bufs.E,
      tags: bufs.tags,
      lengths: bufs.lengths,
      dE: bufs.dE,
      loss: this.lossBuf,
      lossIndex: 0,
      B,
      T,
    };
    if (this.crf) this.crf.encode(enc, { ...lossArgs, params, grads });
    else this.softmax!.encode(enc, lossArgs);
    // dY of the top: the last layer's input gradient buffer is dTop
    let dY = bufs.dTop;
    this.dense.encodeBackward(enc, { M, Y: top, dE: bufs.dE, params, grads, dY });
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const lb = bufs.layers[l];
      const H = layer.H;
      if (dropout) this.dropouts[l].encodeBackward(enc, { dY, mask: lb.mask, rows: M });
      this.seq.encode(enc, {
        dst: { buffer: lb.dH, ld: H },
        src: { buffer: dY, ld: 2 * H },
        lengths: bufs.lengths,
        B,
        T,
        D: H,
        reverse: false,
        acc: false,
      });
      this.seq.encode(enc, {
        dst: { buffer: lb.dH, offset: M * H, ld: H },
        src: { buffer: dY, offset: H, ld: 2 * H },
        lengths: bufs.lengths,
        B,
        T,
        D: H,
        reverse: true,
        acc: false,
      });
      layer.encodeBackward(enc, { B, T, active: bufs.active, lengths: bufs.lengths }, { ...lb, params, grads });
      dY = lb.dX;
    }
    const ld0 = inputSize(this.layout.arch);
    for (const c of this.channels) {
      const g = bufs.groups.get(c)!;
      this.emb.encodeScatter(enc, {
        dTable: { buffer: grads, offset: this.layout.slot(c.tensor).offset }, dim: c.dim,
        dX: dY, ld: ld0, col: c.col,
        groups: { buffer: g.buffer, count: g.count },
      }); // prettier-ignore
    }
  }
}

/** One layer's buffers (lstm.ts) and its dropout mask [M, 2H]. */
interface LayerBuffers extends Omit<LstmBackwardBuffers, 'params' | 'grads'> {
  mask: GPUBuffer;
}

interface BatchBuffers {
  lengths: GPUBuffer;
  /** i32 [T] sentences running at step t */
  active: GPUBuffer;
  keys: GPUBuffer;
  tags: GPUBuffer;
  ids: Map<string, GPUBuffer>;
  groups: Map<Channel, { buffer: GPUBuffer; count: number }>;
  /** [M, In0] the embeddings (the first layer's Xf) */
  X0: GPUBuffer;
  layers: LayerBuffers[];
  /** [M, D] the last layer's output, the dense input (unused without layers: then X0 is) */
  top: GPUBuffer;
  /** [M, D] its gradient */
  dTop: GPUBuffer;
  E: GPUBuffer;
  dE: GPUBuffer;
}

/** The WebGPU training backend on `options.adapter` (src/train/webgpu/adapter.ts finds one). */
export async function createWebGpuBackend(
  layout: ParamLayout,
  options: WebGpuBackendOptions,
): Promise<TrainingBackend> {
  // the gathers here look embedding rows up by id; a dense channel (charLm: computed by the char LMs) has none
  const dense = inputColumns(layout.arch).find((c) => c.channel.dense);
  if (dense)
    throw new Error(
      `WebGPU backend: the ${dense.channel.name} channel (computed by frozen char language models) is not supported on the GPU; train with the wasm backend`,
    );
  const ctx = await GpuContext.create(options.adapter);
  try {
    return new WebGpuBackend(layout, ctx);
  } catch (e) {
    ctx.destroy();
    throw e;
  }
}
