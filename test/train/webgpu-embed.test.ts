import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainKernels, loadTrainingModule } from '../../src/train/kernels.js';
import { Rng } from '../../src/train/rng.js';
import type { GpuContext } from '../../src/train/webgpu/context.js';
import { Embedding, groupRows, packGroups } from '../../src/train/webgpu/embed.js';
import { gpuSkip, maxRelError, newContext, randomF32 } from './webgpu-support.js';

const skip = await gpuSkip('webgpu-embed');
const k = new TrainKernels(loadTrainingModule());
const ex = k.exports;

describe('groupRows', () => {
  it('groups the running rows by id, ascending, skipping rows past a sentence end', () => {
    // B = 2, T = 3, lengths [3, 1]: running rows 0 (t0 b0), 1 (t0 b1), 2 (t1 b0), 4 (t2 b0)
    const ids = Int32Array.of(7, 5, 7, 9, 5, 9); // stride 1
    const g = groupRows(ids, 0, 1, [3, 1], 2, 3);
    expect(Array.from(g.ids)).toEqual([5, 7]);
    expect(Array.from(g.starts)).toEqual([0, 2, 4]);
    expect(Array.from(g.rows)).toEqual([1, 4, 0, 2]);
    expect(Array.from(packGroups(g))).toEqual([5, 7, 0, 2, 4, 1, 4, 0, 2]);
  });
});

describe.skipIf(skip !== null)('WebGPU embedding gather / scatter against the wasm kernels', () => {
  let ctx: GpuContext;
  let emb: Embedding;
  beforeAll(async () => {
    ctx = await newContext();
    emb = new Embedding(ctx);
  });
  afterAll(() => ctx?.destroy());

  it('gathers and scatters a strided channel (a lexicon type) with repeated ids and finished rows', async () => {
    const rng = new Rng(21);
    const [B, T, rowsN, dim, ld, col, stride, which] = [5, 7, 9, 6, 17, 4, 3, 1];
    const M = B * T;
    const lengths = Int32Array.of(7, 6, 6, 3, 1);
    const active = new Int32Array(T);
    for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) active[t]++;
    const ids = Int32Array.from({ length: M * stride }, () => Math.floor(rng.uniform(0, rowsN)));
    const table = randomF32(rowsN * dim, rng);
    const X0 = randomF32(M * ld, rng); // columns outside [col, col + dim) must be kept
    const dX = randomF32(M * ld, rng);
    const dT0 = randomF32(rowsN * dim, rng);

    const mark = k.mark();
    const pX = k.allocF32(M * ld);
    const pT = k.allocF32(rowsN * dim);
    const pdT = k.allocF32(rowsN * dim);
    const pdX = k.allocF32(M * ld);
    const pIds = k.alloc(4 * ids.length);
    const pAct = k.alloc(4 * T);
    k.f32(pX, M * ld).set(X0);
    k.f32(pT, table.length).set(table);
    k.f32(pdT, dT0.length).set(dT0);
    k.f32(pdX, dX.length).set(dX);
    k.i32(pIds, ids.length).set(ids);
    k.i32(pAct, T).set(active);
    ex.embed_gather(pX, ld, col, pT, dim, pIds + 4 * which, stride, pAct, T, B);
    ex.embed_scatter(pdT, dim, pdX, ld, col, pIds + 4 * which, stride, pAct, T, B);
    const wantX = k.f32(pX, M * ld).slice();
    const wantDT = k.f32(pdT, dT0.length).slice();
    k.reset(mark);

    const pad = 2;
    const gT = ctx.storage('table', Float32Array.of(0, 0, ...table));
    const gX = ctx.storage('X', X0);
    const gIds = ctx.storage('ids', ids);
    const gLen = ctx.storage('lengths', lengths);
    const gdT = ctx.storage('dTable', Float32Array.of(0, 0, ...dT0));
    const gdX = ctx.storage('dX', dX);
    const packed = packGroups(groupRows(ids, which, stride, lengths, B, T));
    const gGroups = ctx.storage('groups', Int32Array.of(-1, ...packed));
    const count = groupRows(ids, which, stride, lengths, B, T).ids.length;
    const enc = ctx.encoder();
    emb.encodeGather(enc, {
      X: gX,
      ld,
      col,
      dim,
      table: { buffer: gT, offset: pad },
      ids: { buffer: gIds, offset: which, stride },
      lengths: gLen,
      B,
      T,
    });
    emb.encodeScatter(enc, {
      dTable: { buffer: gdT, offset: pad },
      dim,
      dX: gdX,
      ld,
      col,
      groups: { buffer: gGroups, offset: 1, count },
    });
    ctx.submit(enc);
    expect(Array.from(await ctx.readF32(gX))).toEqual(Array.from(wantX)); // a copy: exact
    expect(maxRelError(await ctx.readF32(gdT, dT0.length, pad), wantDT)).toBeLessThan(1e-5);
  });
});
