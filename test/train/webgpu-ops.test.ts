/**
 * The WebGPU training ops of src/train/webgpu/ (CRF NLL, softmax cross-entropy, dropout, Adam with clipping,
 * the weight average) against the wasm training kernels on tiny shapes: B = 3, T = 5, K = 7, ragged lengths.
 * Runs on any WebGPU adapter (lavapipe here); skips with the reason when there is none.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADAM, ParameterStore } from '../../src/train/backend.js';
import { foldAverage } from '../../src/train/ema.js';
import { TrainKernels, loadTrainingModule } from '../../src/train/kernels.js';
import { ParamLayout } from '../../src/train/params.js';
import { Rng } from '../../src/train/rng.js';
import { ADAM_STATS, AdamStep, readUpdateResult } from '../../src/train/webgpu/adam.js';
import { findWebGpuAdapter, webgpuSkipReason } from '../../src/train/webgpu/adapter.js';
import { GpuContext } from '../../src/train/webgpu/context.js';
import { CrfNll } from '../../src/train/webgpu/crf.js';
import { Dropout } from '../../src/train/webgpu/dropout.js';
import { EmaUpdate } from '../../src/train/webgpu/ema.js';
import { SumReduce } from '../../src/train/webgpu/reduce.js';
import { SoftmaxXent } from '../../src/train/webgpu/softmax.js';
import { tinyArch } from './tiny.js';

const skip = await webgpuSkipReason();
if (skip) console.warn(`webgpu-ops: skipped: ${skip}`);

const B = 3;
const T = 5;
const K = 7;
const M = T * B;

function rand(n: number, rng: Rng, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

/** |got − want| ≤ 1e-4 · |want| element-wise, with a floor of 1e-4 · 1e-2 · max|want| for entries near 0. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-4): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * Math.max(Math.abs(want[i]), 1e-2 * scale))) {
      expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (error ${err}, tolerance ${tol} relative)`);
    }
  }
}

/** Time-major tags [T·B] (−1 would never be read: rows past an end are ignored by both sides). */
function randomTags(rng: Rng): Int32Array {
  return Int32Array.from({ length: M }, () => rng.int(K));
}

describe.skipIf(skip !== null)('WebGPU training ops against train.wasm', () => {
  let ctx: GpuContext;
  const k = new TrainKernels(loadTrainingModule());
  const ex = k.exports;
  const layout = new ParamLayout(tinyArch({ tags: K, crf: true }));

  beforeAll(async () => {
    const found = await findWebGpuAdapter();
    if (typeof found === 'string') throw new Error(found);
    ctx = await GpuContext.create(found.adapter);
  });
  afterAll(() => ctx?.destroy());

  /** copies into wasm memory; returns the address */
  function put(data: Float32Array | Int32Array): number {
    const ptr = k.alloc(data.byteLength);
    (data instanceof Float32Array ? k.f32(ptr, data.length) : k.i32(ptr, data.length)).set(data);
    return ptr;
  }

  /**
   * The CRF against crf_nll: B sentences of the given lengths, T = the longest, emissions in ±es plus es on the
   * gold tag (a trained model's margins), parameters of a real layout, gradients already accumulated.
   */
  async function crfCase(lengths: number[], tagsK: number, es: number, seed: number): Promise<void> {
    const B = lengths.length;
    const T = Math.max(...lengths);
    const M = T * B;
    const K = tagsK;
    const layout = new ParamLayout(tinyArch({ tags: K, crf: true }));
    const rng = new Rng(seed);
    const tags = Int32Array.from({ length: M }, () => rng.int(K));
    const E = Float32Array.from(
      { length: M * K },
      (_, i) => rng.uniform(-es, es) + (tags[Math.floor(i / K)] === i % K ? es : 0),
    );
    const params = rand(layout.total, rng, 0.8);
    const grads0 = rand(layout.total, rng, 0.5); // gradients already accumulated: the CRF adds to them
    const slot = (name: string) => layout.slot(name).offset;
    const slots = { start: slot('crf.start'), end: slot('crf.end'), trans: slot('crf.trans') };

    const mark = k.mark();
    const pp = put(params);
    const pg = put(grads0);
    const pdE = k.allocF32(M * K);
    const work = k.alloc(8 * ex.crf_work_size(T, K));
    const want = ex.crf_nll(put(E), put(tags), put(Int32Array.from(lengths)), B, T, K,
      pp + 4 * slots.start, pp + 4 * slots.end, pp + 4 * slots.trans,
      pdE, pg + 4 * slots.start, pg + 4 * slots.end, pg + 4 * slots.trans, work); // prettier-ignore
    const wantDE = k.f32(pdE, M * K).slice();
    const wantGrads = k.f32(pg, layout.total).slice();
    k.reset(mark);

    const grads = ctx.storage('grads', grads0);
    const dE = ctx.storage('dE', new Float32Array(M * K).fill(7)); // stale values: every entry is written
    const loss = ctx.storage('loss', new Float32Array(4).fill(9));
    const crf = new CrfNll(ctx, K, slots);
    const enc = ctx.encoder('crf test');
    crf.encode(enc, {
      E: ctx.storage('E', E),
      tags: ctx.storage('tags', tags),
      lengths: ctx.storage('lengths', Int32Array.from(lengths)),
      params: ctx.storage('params', params),
      grads,
      dE,
      loss,
      lossIndex: 2,
      B,
      T,
    });
    ctx.submit(enc);
    const gotLoss = await ctx.readF32(loss);
    expect([gotLoss[0], gotLoss[1], gotLoss[3]]).toEqual([9, 9, 9]);
    expectClose([gotLoss[2]], [want], 'loss');
    expectClose(await ctx.readF32(dE), wantDE, 'dE');
    const gotGrads = await ctx.readF32(grads);
    const crfSlots = layout.slots.filter((s) => s.name.startsWith('crf.'));
    for (const { name, offset, size } of crfSlots) {
      expectClose(gotGrads.subarray(offset, offset + size), wantGrads.subarray(offset, offset + size), name);
    }
    // nothing outside the CRF's tensors changes
    const outside = (v: Float32Array) =>
      v.filter((_, i) => !crfSlots.some((s) => i >= s.offset && i < s.offset + s.size));
    expect(outside(gotGrads)).toEqual(outside(grads0));
  }

  it('CRF NLL: loss, dE and the added start / end / trans gradients (lengths 5, 4, 2)', () =>
    crfCase([5, 4, 2], K, 2, 11));
  it('CRF NLL: a one-step and an empty sentence (lengths 5, 1, 0)', () => crfCase([5, 1, 0], K, 2, 12));
  it('CRF NLL: long sentences with confident emissions keep their precision in f32 (lengths 150, 149, 97)', () =>
    crfCase([150, 149, 97], 13, 8, 13));

  it('an empty batch: the CRF and softmax losses are 0 and no gradient changes', async () => {
    const grads0 = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const grads = ctx.storage('grads', grads0);
    const loss = ctx.storage('loss', Float32Array.of(9, 9));
    const none = ctx.f32('none', 1);
    const io = { E: none, tags: none, lengths: none, dE: none, loss, B: 0, T: 0 };
    const enc = ctx.encoder('empty batch');
    new CrfNll(ctx, 3, { start: 0, end: 3, trans: 6 }).encode(enc, { ...io, lossIndex: 0, params: none, grads });
    new SoftmaxXent(ctx, 3).encode(enc, { ...io, lossIndex: 1 });
    ctx.submit(enc);
    expect(Array.from(await ctx.readF32(loss))).toEqual([0, 0]);
    expect(await ctx.readF32(grads)).toEqual(grads0);
  });

  it('CRF NLL refuses more tags than a workgroup has threads', () => {
    expect(() => new CrfNll(ctx, 65, { start: 0, end: 65, trans: 130 })).toThrow(
      'CrfNll: expected 1 ≤ tags ≤ 64, got 65',
    );
  });

  it('softmax cross-entropy: loss and dE', async () => {
    const rng = new Rng(21);
    const lengths = Int32Array.of(5, 3, 1);
    const E = rand(M * K, rng, 3);
    const tags = randomTags(rng);
    const mark = k.mark();
    const pdE = k.allocF32(M * K);
    const want = ex.softmax_xent(put(E), put(tags), put(lengths), B, T, K, pdE);
    const wantDE = k.f32(pdE, M * K).slice();
    k.reset(mark);

    const dE = ctx.storage('dE', new Float32Array(M * K).fill(7));
    const loss = ctx.f32('loss', 2);
    const enc = ctx.encoder('softmax test');
    new SoftmaxXent(ctx, K).encode(enc, {
      E: ctx.storage('E', E),
      tags: ctx.storage('tags', tags),
      lengths: ctx.storage('lengths', lengths),
      dE,
      loss,
      lossIndex: 1,
      B,
      T,
    });
    ctx.submit(enc);
    expectClose([(await ctx.readF32(loss))[1]], [want], 'loss');
    expectClose(await ctx.readF32(dE), wantDE, 'dE');
  });

  for (const [D, p, seed] of [
    [13, 0.3, 0xdeadbeef],
    [64, 0.5, 0],
    [6, 0.1, 12345],
  ]) {
    it(`dropout: the mask is bit-identical to dropout_mask, Y and dY are scaled by it (D ${D}, p ${p})`, async () => {
      const rng = new Rng(D);
      const lengths = Int32Array.of(5, 4, 2);
      const keys = Int32Array.of(-5, 123456789, 7); // stable sentence keys, negative ones included
      const Y = rand(M * D, rng);
      const dY = rand(M * D, rng);
      const mark = k.mark();
      const pm = k.allocF32(M * D);
      ex.dropout_mask(pm, put(lengths), put(keys), T, B, D, p, seed);
      const wantMask = k.f32(pm, M * D).slice();
      k.reset(mark);
      expect(wantMask.some((x) => x === 0) && wantMask.some((x) => x > 1)).toBe(true);

      const mask = ctx.storage('mask', new Float32Array(M * D).fill(3));
      const gy = ctx.storage('Y', Y);
      const gdy = ctx.storage('dY', dY);
      const dropout = new Dropout(ctx, D);
      const enc = ctx.encoder('dropout test');
      dropout.encode(enc, {
        Y: gy,
        mask,
        lengths: ctx.storage('lengths', lengths),
        keys: ctx.storage('keys', keys),
        B,
        T,
        p,
        seed,
      });
      dropout.encodeBackward(enc, { dY: gdy, mask, rows: M });
      ctx.submit(enc);
      expect(await ctx.readF32(mask)).toEqual(wantMask);
      expect(await ctx.readF32(gy)).toEqual(Y.map((y, i) => Math.fround(y * wantMask[i])));
      expect(await ctx.readF32(gdy)).toEqual(dY.map((y, i) => Math.fround(y * wantMask[i])));
    });
  }

  it('dropout refuses a probability outside [0, 1)', () => {
    const b = ctx.f32('x', 4);
    expect(() =>
      new Dropout(ctx, 2).encode(ctx.encoder('bad'), { Y: b, mask: b, lengths: b, keys: b, B: 1, T: 1, p: 1, seed: 0 }),
    ).toThrow('dropout: expected a probability in [0, 1), got 1');
  });

  it('SumReduce: Σ x and Σ x² over more elements than one workgroup holds', async () => {
    const rng = new Rng(5);
    const n = 70001;
    const x = rand(n, rng);
    const out = ctx.f32('out', 2);
    const enc = ctx.encoder('reduce test');
    const sum = new SumReduce(ctx);
    const gx = ctx.storage('x', x);
    sum.encode(enc, { x: gx, n, out, outIndex: 0 });
    sum.encode(enc, { x: gx, n, out, outIndex: 1, square: true });
    ctx.submit(enc);
    const got = await ctx.readF32(out);
    let s = 0;
    let s2 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(got[0] - s)).toBeLessThan(1e-4 * Math.sqrt(n)); // Σ x is a sum of ±values: absolute error
    expectClose([got[1]], [s2], 'Σ x²');
  });

  for (const [label, clip, gradScale] of [
    ['without clipping', 0, 1],
    ['with clipping', DEFAULT_ADAM.clip, 40],
    ['with a clip that is not reached', 1e6, 1],
  ] as const) {
    it(`Adam: five steps ${label} match ParameterStore.update (parameters, moments, norm, clipped)`, async () => {
      const rng = new Rng(31);
      const n = layout.total;
      const adam = { ...DEFAULT_ADAM, lr: 0.01, clip };
      const batchSize = 3;
      const store = new ParameterStore(new TrainKernels(loadTrainingModule()), layout, true);
      const p0 = rand(n, rng);
      store.setParameters(p0);
      const params = ctx.storage('params', p0);
      const grads = ctx.f32('grads', n);
      const m = ctx.f32('m', n);
      const v = ctx.f32('v', n);
      const stats = ctx.f32('stats', 1 + ADAM_STATS);
      const step = new AdamStep(ctx, n);
      let clippedSteps = 0;
      for (let s = 1; s <= 5; s++) {
        const g = rand(n, rng, gradScale);
        store.gradView().set(g);
        const want = store.update(adam, batchSize);
        ctx.write(grads, g);
        const enc = ctx.encoder('adam test');
        step.encode(enc, { params, grads, m, v, stats, statsIndex: 1, adam, step: s, batchSize });
        ctx.submit(enc);
        const got = readUpdateResult(await ctx.readF32(stats), 1);
        expect(got.clipped, `step ${s} clipped`).toBe(want.clipped);
        expectClose([got.gradNorm], [want.gradNorm], `step ${s} gradNorm`);
        if (got.clipped) clippedSteps++;
        const opt = store.getOptimizerState();
        expectClose(await ctx.readF32(params), store.paramView(), `step ${s} params`);
        expectClose(await ctx.readF32(m), opt.m, `step ${s} m`);
        expectClose(await ctx.readF32(v), opt.v, `step ${s} v`);
        expect((await ctx.readF32(grads)).every((x) => x === 0)).toBe(true);
      }
      expect(clippedSteps).toBe(label === 'with clipping' ? 5 : 0);
    });
  }

  it('Adam leaves everything as it was when the gradient norm is not finite, and the result throws', async () => {
    const n = layout.total;
    const rng = new Rng(41);
    const p0 = rand(n, rng);
    const g0 = rand(n, rng);
    g0[3] = Infinity;
    const params = ctx.storage('params', p0);
    const grads = ctx.storage('grads', g0);
    const m = ctx.f32('m', n);
    const v = ctx.f32('v', n);
    const stats = ctx.f32('stats', ADAM_STATS);
    const enc = ctx.encoder('adam inf test');
    new AdamStep(ctx, n).encode(enc, {
      params,
      grads,
      m,
      v,
      stats,
      statsIndex: 0,
      adam: DEFAULT_ADAM,
      step: 1,
      batchSize: 2,
    });
    ctx.submit(enc);
    const s = await ctx.readF32(stats);
    expect(() => readUpdateResult(s)).toThrow('step: gradient norm is Infinity (diverged)');
    expect(await ctx.readF32(params)).toEqual(p0);
    expect(await ctx.readF32(grads)).toEqual(g0);
    expect((await ctx.readF32(m)).every((x) => x === 0)).toBe(true);
  });

  it('EMA: matches foldAverage (the CPU backends) through the warm-up and at the long-run decay', async () => {
    const rng = new Rng(51);
    const n = 1003;
    const decay = 0.999;
    const w0 = rand(n, rng);
    const cpu = w0.slice();
    const ema = ctx.storage('ema', w0);
    const params = ctx.f32('params', n);
    const gpu = new EmaUpdate(ctx, n, decay);
    for (const step of [0, 1, 2, 3, 5000, 5001]) {
      const p = rand(n, rng);
      foldAverage(cpu, p, decay, step);
      ctx.write(params, p);
      const enc = ctx.encoder('ema test');
      gpu.encode(enc, { ema, params, step });
      ctx.submit(enc);
    }
    expectClose(await ctx.readF32(ema), cpu, 'ema');
  });
});
