import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADAM, WasmBackend } from '../../src/train/backend.js';
import { ParallelBackend } from '../../src/train/parallel.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { Rng } from '../../src/train/rng.js';
import { randomSentences, tinyArch } from './tiny.js';

describe('data parallelism: 1 thread vs 2 workers', () => {
  const arch = tinyArch({ lstm: [6, 4] });
  const layout = new ParamLayout(arch);
  const params = initParameters(layout, new Rng(9));
  const sentences = randomSentences(arch, [4, 6, 2, 5, 3, 7, 1], 2);
  const single = new WasmBackend(layout);
  let par: ParallelBackend | undefined;
  afterAll(async () => {
    await par?.dispose();
  });

  it('same loss and gradients (within float tolerance), with dropout on', async () => {
    par = await ParallelBackend.create(layout, { workers: 2 });
    expect(par.workerCount).toBe(2);
    single.setParameters(params);
    par.setParameters(params);
    const a = await single.forwardBackward(sentences, { dropout: 0.5, seed: 77 });
    const b = await par.forwardBackward(sentences, { dropout: 0.5, seed: 77 });
    expect(b.sentences).toBe(a.sentences);
    expect(b.chars).toBe(a.chars);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.abs(a.loss));
    const ga = single.getGradients();
    const gb = par.getGradients();
    let norm = 0;
    let diff = 0;
    for (let i = 0; i < ga.length; i++) {
      norm = Math.max(norm, Math.abs(ga[i]));
      diff = Math.max(diff, Math.abs(ga[i] - gb[i]));
    }
    expect(norm).toBeGreaterThan(0.01);
    expect(diff).toBeLessThan(1e-5 * norm);
  });

  it('same parameters after a few Adam steps, and the same decoded paths', async () => {
    for (let s = 0; s < 3; s++) {
      single.zeroGrad();
      par!.zeroGrad();
      await single.forwardBackward(sentences, { dropout: 0.5, seed: s });
      await par!.forwardBackward(sentences, { dropout: 0.5, seed: s });
      await single.step(DEFAULT_ADAM, sentences.length);
      await par!.step(DEFAULT_ADAM, sentences.length);
    }
    const pa = single.getFlatParameters();
    const pb = par!.getFlatParameters();
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(1e-5);
    const da = await single.decode(sentences);
    const db = await par!.decode(sentences);
    expect(db.map((p) => Array.from(p))).toEqual(da.map((p) => Array.from(p)));
  });

  it('accumulates over several forwardBackward calls before a step', async () => {
    single.zeroGrad();
    par!.zeroGrad();
    await single.forwardBackward(sentences.slice(0, 3), { dropout: 0, seed: 0 });
    await single.forwardBackward(sentences.slice(3), { dropout: 0, seed: 0, keys: [3, 4, 5, 6] });
    await par!.forwardBackward(sentences, { dropout: 0, seed: 0 });
    const ga = single.getGradients();
    const gb = par!.getGradients();
    for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-4);
  });
});
