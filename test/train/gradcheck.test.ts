import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import { WasmBackend } from '../../src/train/backend.js';
import { ParamLayout } from '../../src/train/params.js';
import { numericGradient, referenceLoss } from './reference.js';
import { randomParams, randomSentences, tinyArch } from './tiny.js';

/** Analytic (wasm, f32) vs central differences of the f64 reference, tensor by tensor. */
function check(arch: Architecture, opts: { dropout?: number; seed?: number; lengths?: number[] } = {}) {
  const dropout = opts.dropout ?? 0;
  const seed = opts.seed ?? 0;
  const layout = new ParamLayout(arch);
  const params = randomParams(layout.total, layout.slots, 11);
  const sentences = randomSentences(arch, opts.lengths ?? [4, 6, 2], 5); // B = 3, different lengths, unsorted
  const backend = new WasmBackend(layout);
  backend.setParameters(params);
  const stats = backend.forwardBackwardSync(sentences, { dropout, seed });
  const analytic = backend.getGradients();
  const refLoss = referenceLoss(layout, Float64Array.from(params), sentences, dropout, seed);
  expect(Math.abs(stats.loss - refLoss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(refLoss)));
  const numeric = numericGradient(layout, params, sentences, dropout, seed);
  const report: Record<string, number> = {};
  for (const s of layout.slots) {
    let worst = 0;
    let norm = 0;
    for (let i = s.offset; i < s.offset + s.size; i++) {
      const err = Math.abs(analytic[i] - numeric[i]) / (1e-4 + 1e-3 * Math.abs(numeric[i]));
      worst = Math.max(worst, err);
      norm += numeric[i] * numeric[i];
    }
    report[s.name] = worst;
    // the check must be able to fail: every group has a non-trivial gradient
    const mayVanish = s.name.startsWith('embed') || ((s.name.endsWith('w_hh') || s.name === 'crf.trans') && Math.max(...(opts.lengths ?? [2])) === 1);
    if (!mayVanish) expect(Math.sqrt(norm), `${s.name} gradient is zero`).toBeGreaterThan(1e-6);
  }
  for (const [name, worst] of Object.entries(report)) expect(worst, `${name}: analytic vs numeric`).toBeLessThan(1);
  const worstAll = Math.max(...Object.values(report));
  console.log(`gradcheck ${JSON.stringify(arch.lstm)} crf=${arch.crf} dropout=${dropout}: worst |a−n| / (1e-4 + 1e-3|n|) = ${worstAll.toFixed(3)}`);
  return { report, loss: stats.loss };
}

describe('gradient checks (f32 wasm analytic vs f64 central differences)', () => {
  it('CRF NLL, two BiLSTM layers (H = 3 scalar tails, H = 5 SIMD + tail), dense, both embeddings', () => {
    check(tinyArch());
  });
  it('softmax cross-entropy baseline (crf = false), H = 4', () => {
    check(tinyArch({ crf: false, lstm: [4] }));
  });
  it('no LSTM: dense straight on the embeddings', () => {
    check(tinyArch({ lstm: [] }));
  });
  it('char embeddings only, and word embeddings only', () => {
    check(tinyArch({ wordDim: 0, lstm: [3] }));
    check(tinyArch({ charDim: 0, lstm: [3] }));
  });
  it('with dropout 0.5 between layers (masks reproduced by the TS twin of the hash)', () => {
    check(tinyArch({ lstm: [4, 3] }), { dropout: 0.5, seed: 1234 });
  });
  it('single-step and equal-length sentences', () => {
    check(tinyArch(), { lengths: [1, 1, 1] });
    check(tinyArch(), { lengths: [3, 3, 1] });
  });
  it('fails when the gradient is wrong (sanity of the check itself)', () => {
    const arch = tinyArch();
    const layout = new ParamLayout(arch);
    const params = randomParams(layout.total, layout.slots, 11);
    const sentences = randomSentences(arch, [4, 6, 2], 5);
    const backend = new WasmBackend(layout);
    backend.setParameters(params);
    backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 });
    const analytic = backend.getGradients();
    const numeric = numericGradient(layout, params, sentences);
    const s = layout.slot('lstm.0.bw.w_hh');
    analytic[s.offset + 2] += 0.01;
    const err = Math.abs(analytic[s.offset + 2] - numeric[s.offset + 2]) / (1e-4 + 1e-3 * Math.abs(numeric[s.offset + 2]));
    expect(err).toBeGreaterThan(1);
  });
});
