import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findWebGpuAdapter, webgpuSkipReason } from '../../src/train/webgpu/adapter.js';
import { GpuContext, f32Bits } from '../../src/train/webgpu/context.js';

const skip = await webgpuSkipReason();
if (skip) console.warn(`webgpu-context: skipped: ${skip}`);

const SCALE = /* wgsl */ `
struct P { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { y[g.x] = x[g.x] * p.s; }
}`;

describe.skipIf(skip !== null)('GpuContext', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    const found = await findWebGpuAdapter();
    if (typeof found === 'string') throw new Error(found);
    ctx = await GpuContext.create(found.adapter);
  });
  afterAll(() => ctx?.destroy());

  it('uploads, dispatches with a cached pipeline and params uniform, and reads back', async () => {
    const n = 100;
    const x = ctx.storage(
      'x',
      Float32Array.from({ length: n }, (_, i) => i - 50),
    );
    const y = ctx.f32('y', n);
    const pipe = ctx.pipeline('scale', SCALE);
    expect(ctx.pipeline('scale', SCALE)).toBe(pipe);
    expect(ctx.params([n, f32Bits(2.5)])).toBe(ctx.params([n, f32Bits(2.5)]));
    const enc = ctx.encoder();
    ctx.dispatch(enc, pipe, [ctx.params([n, f32Bits(2.5)]), x, y], Math.ceil(n / 64));
    ctx.submit(enc);
    const out = await ctx.readF32(y);
    expect(Array.from(out)).toEqual(Array.from({ length: n }, (_, i) => (i - 50) * 2.5));
    expect(Array.from(await ctx.readI32(ctx.storage('i', Int32Array.of(-3, 7)), 1, 1))).toEqual([7]);
  });

  it('keeps the params uniforms of an open encoder alive when the cache overflows while it is encoded', async () => {
    const n = 8;
    const x = ctx.storage(
      'x',
      Float32Array.from({ length: n }, (_, i) => i + 1),
    );
    const pipe = ctx.pipeline('scale', SCALE);
    const limit = ctx.maxCachedParams;
    ctx.maxCachedParams = 3;
    try {
      const ys = Array.from({ length: 7 }, (_, k) => ctx.f32(`y${k}`, n));
      const enc = ctx.encoder();
      ys.forEach((y, k) => ctx.dispatch(enc, pipe, [ctx.params([n, f32Bits(k + 0.5)]), x, y], 1));
      ctx.submit(enc);
      for (let k = 0; k < ys.length; k++) {
        expect(Array.from(await ctx.readF32(ys[k])), `dispatch ${k}`).toEqual(
          Array.from({ length: n }, (_, i) => (i + 1) * (k + 0.5)),
        );
      }
    } finally {
      ctx.maxCachedParams = limit;
    }
  });

  it('throws a WGSL compile error with the shader label at the next check', async () => {
    ctx.pipeline('broken-shader', SCALE.replace('x[g.x] * p.s', 'x[g.x] * nope'));
    await expect(ctx.check()).rejects.toThrow(/WebGPU: shader broken-shader \(main\): .*nope/);
    await ctx.check(); // reported once
  });

  it('rejects reads past the end of a buffer', async () => {
    await expect(ctx.readF32(ctx.f32('small', 2), 3)).rejects.toThrow('read small: 3 words at 0 overrun its 8 bytes');
  });
});
