import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../../src/train/backend.js';
import { ParamLayout } from '../../src/train/params.js';
import { randomParams, randomSentences, tinyArch } from './tiny.js';

function handAdam(p: number[], g: number[], steps: number, o: { lr: number; beta1: number; beta2: number; eps: number }) {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < x.length; i++) {
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
      const mh = m[i] / (1 - o.beta1 ** t);
      const vh = v[i] / (1 - o.beta2 ** t);
      x[i] -= (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  }
  return x;
}

describe('Adam step', () => {
  const arch = tinyArch();
  const layout = new ParamLayout(arch);
  const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0 };

  it('matches a hand computation over three steps with a fixed gradient (batch mean applied)', async () => {
    const b = new WasmBackend(layout);
    const p0 = randomParams(layout.total, layout.slots, 1);
    b.setParameters(p0);
    const sentences = randomSentences(arch, [3, 5], 2);
    b.forwardBackwardSync(sentences, { dropout: 0, seed: 0 });
    const g = Array.from(b.getGradients(), (x) => x / 2); // mean over the 2 sentences
    // apply the same raw gradient three times
    const raw = b.getGradients();
    for (let s = 0; s < 3; s++) {
      b.store.gradView().set(raw);
      await b.step(opts, 2);
    }
    const expected = handAdam(Array.from(p0), g, 3, opts);
    const got = b.getFlatParameters();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-6 + 1e-5 * Math.abs(expected[i]));
    expect(b.getOptimizerState().step).toBe(3);
    // gradients are zeroed after a step
    expect(b.getGradients().every((x) => x === 0)).toBe(true);
  });

  it('clips the global gradient norm before the moments see it', async () => {
    const b = new WasmBackend(layout);
    const p0 = randomParams(layout.total, layout.slots, 1);
    b.setParameters(p0);
    const raw = new Float32Array(layout.total);
    raw[0] = 30;
    raw[5] = 40; // norm 50
    b.store.gradView().set(raw);
    const r = await b.step({ ...opts, clip: 5 }, 1);
    expect(r.gradNorm).toBeCloseTo(50, 4);
    expect(r.clipped).toBe(true);
    const m = b.getOptimizerState().m;
    expect(m[0]).toBeCloseTo(0.1 * 3, 5); // (1-β1) · 30 · 5/50
    expect(m[5]).toBeCloseTo(0.1 * 4, 5);
    const got = b.getFlatParameters();
    expect(got[0]).toBeCloseTo(p0[0] - opts.lr, 5); // first step: m̂/sqrt(v̂) = sign(g)
  });

  it('rejects bad options', async () => {
    const b = new WasmBackend(layout);
    await expect(b.step({ ...opts, lr: 0 }, 1)).rejects.toThrow(/lr/);
    await expect(b.step(opts, 0)).rejects.toThrow(/batch size/);
  });
});
