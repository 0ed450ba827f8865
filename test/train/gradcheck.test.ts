import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/model/layout.js';
import { WasmBackend } from '../../src/train/backend.js';
import { ParallelBackend } from '../../src/train/parallel.js';
import { type Sentence, prepareBatch, validateSentence } from '../../src/train/batch.js';
import { ParamLayout, initParameters } from '../../src/train/params.js';
import { Rng } from '../../src/train/rng.js';
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
  return { report, loss: stats.loss, analytic, numeric, layout, sentences };
}

/** The tiny architecture with an entity-lexicon channel: 2 types (tags 5 = O + B/I × 2), 3 floats each. */
const lexArch = (over: Partial<Architecture> = {}) => tinyArch({ lexTypes: 2, lexDim: 3, ...over });

/** embed.lex rows the sentences use, and a check that exactly those rows get a gradient (others exactly 0). */
function checkLexRows(r: ReturnType<typeof check>): number {
  const { layout, sentences, analytic, numeric } = r;
  const slot = layout.slot('embed.lex');
  const dim = layout.arch.lexDim!;
  const used = new Set<number>();
  for (const s of sentences) for (const id of s.lexIds!) used.add(id);
  expect(used.size, 'the random ids use several rows').toBeGreaterThan(3);
  for (let row = 0; row < slot.shape[0]; row++) {
    let norm = 0;
    let analyticAbs = 0;
    for (let d = 0; d < dim; d++) {
      norm += numeric[slot.offset + row * dim + d] ** 2;
      analyticAbs += Math.abs(analytic[slot.offset + row * dim + d]);
    }
    if (used.has(row)) expect(Math.sqrt(norm), `embed.lex row ${row} is used but has no gradient`).toBeGreaterThan(1e-6);
    else expect(analyticAbs, `embed.lex row ${row} is unused but got a gradient`).toBe(0);
  }
  return used.size;
}


/**
 * 2 worker threads give the loss, gradients and decoded paths of 1 thread on random sentences of `arch`; the
 * gradient of `tensor` (a channel's table, whose ids must cross to the workers) is non-trivial and matches closely.
 */
async function expectWorkersMatchOneThread(arch: Architecture, tensor: string): Promise<void> {
  const layout = new ParamLayout(arch);
  const params = initParameters(layout, new Rng(9));
  const sentences = randomSentences(layout.arch, [4, 6, 2, 5, 3, 7, 1], 2);
  const single = new WasmBackend(layout);
  const par = await ParallelBackend.create(layout, { workers: 2 });
  try {
    single.setParameters(params);
    par.setParameters(params);
    const a = await single.forwardBackward(sentences, { dropout: 0.5, seed: 77 });
    const b = await par.forwardBackward(sentences, { dropout: 0.5, seed: 77 });
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.abs(a.loss));
    const ga = single.getGradients();
    const gb = par.getGradients();
    const slot = layout.slot(tensor);
    let norm = 0;
    let diff = 0;
    for (let i = slot.offset; i < slot.offset + slot.size; i++) {
      norm = Math.max(norm, Math.abs(ga[i]));
      diff = Math.max(diff, Math.abs(ga[i] - gb[i]));
    }
    expect(norm).toBeGreaterThan(0.01);
    expect(diff).toBeLessThan(1e-5 * norm);
    for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-4);
    expect((await par.decode(sentences)).map((p) => Array.from(p))).toEqual((await single.decode(sentences)).map((p) => Array.from(p)));
  } finally {
    await par.dispose();
  }
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
  it('entity-lexicon channel (lexTypes 2, lexDim 3): embed.lex and every other tensor, two BiLSTM layers, CRF', () => {
    const used = checkLexRows(check(lexArch()));
    expect(used, 'some rows unused, so the exact-zero check above means something').toBeLessThan(10);
  });
  it('entity-lexicon channel with dropout 0.5', () => {
    checkLexRows(check(lexArch({ lstm: [4, 3] }), { dropout: 0.5, seed: 99 }));
  });
  it('entity-lexicon channel: softmax baseline, no LSTM, chars only, words only, three types', () => {
    checkLexRows(check(lexArch({ crf: false, lstm: [4] })));
    checkLexRows(check(lexArch({ lstm: [] }), { lengths: [5, 3, 6, 2] }));
    checkLexRows(check(lexArch({ wordDim: 0, lstm: [3] })));
    checkLexRows(check(lexArch({ charDim: 0, lstm: [3] })));
    checkLexRows(check(lexArch({ tags: 7, lexTypes: 3, lexDim: 2, lstm: [3] }), { lengths: [4, 7, 2] }));
  });
  it('the lexicon ids of each type feed their own columns (swapping the types changes the loss like the reference)', () => {
    const arch = lexArch();
    const layout = new ParamLayout(arch);
    const params = randomParams(layout.total, layout.slots, 11);
    const sentences = randomSentences(arch, [4, 6, 2], 5);
    // type 0 ids ↔ type 1 ids at every position (still valid rows: 5k + position)
    const swapped: Sentence[] = sentences.map((s) => {
      const lx = new Int32Array(s.lexIds!.length);
      for (let t = 0; t < s.charIds.length; t++) {
        lx[2 * t] = s.lexIds![2 * t + 1] - 5;
        lx[2 * t + 1] = s.lexIds![2 * t] + 5;
      }
      return { ...s, lexIds: lx };
    });
    const backend = new WasmBackend(layout);
    backend.setParameters(params);
    const a = backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 }).loss;
    const b = backend.forwardBackwardSync(swapped, { dropout: 0, seed: 0 }).loss;
    expect(Math.abs(a - b)).toBeGreaterThan(1e-3);
    expect(Math.abs(b - referenceLoss(layout, Float64Array.from(params), swapped))).toBeLessThan(1e-5 * Math.max(1, Math.abs(b)));
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

describe('lexicon channel plumbing (batch, parameters)', () => {
  const arch = lexArch();
  const ok = (T: number, lexIds: Int32Array): Sentence => ({
    charIds: new Int32Array(T).fill(1),
    wordIds: new Int32Array(T).fill(1),
    tagIds: new Int32Array(T),
    lexIds,
  });

  it('validateSentence refuses missing, wrong-length and out-of-range lexicon ids', () => {
    expect(() => validateSentence(ok(2, Int32Array.from([0, 5, 4, 9])), arch)).not.toThrow();
    expect(() => validateSentence({ ...ok(2, new Int32Array(4)), lexIds: undefined }, arch, 3)).toThrow(/lexicon channel: lexIds must be an Int32Array \[T × 2\]/);
    expect(() => validateSentence(ok(2, new Int32Array(3)), arch)).toThrow(/lexIds has 3 ids, expected 2 × 2/);
    expect(() => validateSentence(ok(2, Int32Array.from([0, 5, 10, 5])), arch)).toThrow(/lexIds\[2\] = 10 is not an id of lexicon type 0 \(expected \[0, 5\)\)/);
    expect(() => validateSentence(ok(2, Int32Array.from([0, -1, 0, 5])), arch)).toThrow(/lexIds\[1\] = -1 is not an id of lexicon type 1/);
    // a type-0 id in type 1's slot (ids laid out type-major instead of position-major)
    expect(() => validateSentence(ok(2, Int32Array.from([0, 1, 5, 6])), arch)).toThrow(/lexIds\[1\] = 1 is not an id of lexicon type 1 \(expected \[5, 10\)\)/);
    expect(() => validateSentence({ ...ok(2, new Int32Array(4)), lexIds: [0, 5, 0, 5] as unknown as Int32Array }, arch)).toThrow(/Int32Array/);
    // without a lexicon channel lexIds are not looked at
    expect(() => validateSentence({ ...ok(2, new Int32Array(4)), lexIds: undefined }, tinyArch())).not.toThrow();
    // the backend refuses such a sentence before running anything
    const backend = new WasmBackend(new ParamLayout(arch));
    expect(() => backend.forwardBackwardSync([ok(3, Int32Array.from([0, 5, 0, 5, 0, 5])), ok(2, new Int32Array(3))], { dropout: 0, seed: 0 })).toThrow(/sentence 1|lexIds has 3/);
  });

  it('prepareBatch lays lexicon ids out time-major [T·B, L], sentences longest first', () => {
    const a = ok(2, Int32Array.from([1, 6, 2, 7])); // T 2
    const b = ok(3, Int32Array.from([3, 8, 4, 9, 0, 5])); // T 3
    const batch = prepareBatch([a, b], arch);
    expect(Array.from(batch.order)).toEqual([1, 0]);
    // row t·B + b holds the L ids of sentence order[b] at step t; the row past a's end stays 0
    expect(Array.from(batch.lexIds!)).toEqual([3, 8, 1, 6, 4, 9, 2, 7, 0, 5, 0, 0]);
    expect(prepareBatch([a, b], tinyArch()).lexIds).toBeUndefined();
  });

  it('initParameters: embed.lex uniform in ±√(3 / lexDim), no zeroed row; the embeddings draw the same numbers as without the channel', () => {
    const withLex = new ParamLayout(lexArch({ lexDim: 4 }));
    const without = new ParamLayout(tinyArch());
    const p = initParameters(withLex, new Rng(3));
    const q = initParameters(without, new Rng(3));
    const s = withLex.slot('embed.lex');
    expect(s.shape).toEqual([10, 4]);
    const r = Math.sqrt(3 / 4);
    let sumAbs = 0;
    for (let row = 0; row < 10; row++) {
      let rowAbs = 0;
      for (let d = 0; d < 4; d++) {
        const v = p[s.offset + row * 4 + d];
        expect(Math.abs(v)).toBeLessThanOrEqual(r);
        rowAbs += Math.abs(v);
      }
      expect(rowAbs, `embed.lex row ${row} (position ${row % 5} of type ${Math.floor(row / 5)}) is a real input, not padding`).toBeGreaterThan(0);
      sumAbs += rowAbs;
    }
    expect(sumAbs / 40).toBeGreaterThan(r / 4); // spread over the range, not tiny
    for (const name of ['embed.char', 'embed.word']) {
      const a = withLex.slot(name);
      const b = without.slot(name);
      expect(Array.from(p.subarray(a.offset, a.offset + a.size)), name).toEqual(Array.from(q.subarray(b.offset, b.offset + b.size)));
    }
  });

  it('2 workers give the loss, gradients and decoded paths of 1 thread (lexicon ids cross to the workers)', async () => {
    await expectWorkersMatchOneThread(lexArch({ lstm: [6, 4] }), 'embed.lex');
  });
});

/** The tiny architecture with a character-bigram channel: 8 bigram rows (0 = <pad>, 1 = <unk>) of 3 floats. */
const bigramArch = (over: Partial<Architecture> = {}) => tinyArch({ bigramVocab: 8, bigramDim: 3, ...over });

/** embed.bigram rows the sentences use; exactly those get a gradient (the <pad> row 0 and unused rows exactly 0). */
function checkBigramRows(r: ReturnType<typeof check>): number {
  const { layout, sentences, analytic, numeric } = r;
  const slot = layout.slot('embed.bigram');
  const dim = layout.arch.bigramDim!;
  expect(slot.shape).toEqual([layout.arch.bigramVocab, dim]);
  const used = new Set<number>();
  for (const s of sentences) for (const id of s.bigramIds!) used.add(id);
  expect(used.size, 'the random ids use several rows').toBeGreaterThan(2);
  expect(used.has(0), 'randomSentences never uses the <pad> row').toBe(false);
  for (let row = 0; row < slot.shape[0]; row++) {
    let norm = 0;
    let analyticAbs = 0;
    for (let d = 0; d < dim; d++) {
      norm += numeric[slot.offset + row * dim + d] ** 2;
      analyticAbs += Math.abs(analytic[slot.offset + row * dim + d]);
    }
    if (used.has(row)) expect(Math.sqrt(norm), `embed.bigram row ${row} is used but has no gradient`).toBeGreaterThan(1e-6);
    else expect(analyticAbs, `embed.bigram row ${row} is unused but got a gradient`).toBe(0);
  }
  return used.size;
}

/** Copy of `params` with the layer-0 W_ih columns [a, a + n) and [b, b + n) exchanged (both directions). */
function swapInputColumns(layout: ParamLayout, params: Float32Array, a: number, b: number, n: number): Float32Array {
  const out = params.slice();
  for (const dir of ['fw', 'bw']) {
    const s = layout.slot(`lstm.0.${dir}.w_ih`);
    const [rows, cols] = s.shape;
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < n; d++) {
        out[s.offset + r * cols + a + d] = params[s.offset + r * cols + b + d];
        out[s.offset + r * cols + b + d] = params[s.offset + r * cols + a + d];
      }
    }
  }
  return out;
}

describe('gradient checks with the character-bigram channel (embed.bigram)', () => {
  it('bigram channel alone (bigramVocab 8, bigramDim 3): embed.bigram and every other tensor, two BiLSTM layers, CRF', () => {
    const used = checkBigramRows(check(bigramArch()));
    expect(used, 'some rows unused, so the exact-zero check means something').toBeLessThan(8);
  });
  it('bigram channel with dropout 0.5', () => {
    checkBigramRows(check(bigramArch({ lstm: [4, 3] }), { dropout: 0.5, seed: 4321 }));
  });
  it('bigram channel: softmax baseline, no LSTM, chars only, words only, single steps', () => {
    checkBigramRows(check(bigramArch({ crf: false, lstm: [4] })));
    checkBigramRows(check(bigramArch({ lstm: [] }), { lengths: [5, 3, 6, 2] }));
    checkBigramRows(check(bigramArch({ wordDim: 0, lstm: [3] })));
    checkBigramRows(check(bigramArch({ charDim: 0, lstm: [3] })));
    checkBigramRows(check(bigramArch({ bigramDim: 5, lstm: [3] }), { lengths: [1, 1, 1, 1, 1, 1] }));
  });
  it('bigram + lexicon channels together (columns char | word | bigram | lex): every tensor', () => {
    const r = check(bigramArch({ lexTypes: 2, lexDim: 3 }));
    checkBigramRows(r);
    checkLexRows(r);
    checkBigramRows(check(bigramArch({ lexTypes: 2, lexDim: 2, bigramDim: 4, lstm: [] }), { lengths: [4, 7, 2] }));
  });
  it('the loss pins the column order: with bigram and lexicon blocks swapped in W_ih the reference disagrees', () => {
    // bigramDim = lexDim = 3, so the bigram block [7, 10) and the first lexicon block [10, 13) can trade places
    const arch = bigramArch({ lexTypes: 2, lexDim: 3 });
    const layout = new ParamLayout(arch);
    expect(layout.slot('lstm.0.fw.w_ih').shape).toEqual([12, 4 + 3 + 3 + 2 * 3]);
    const params = randomParams(layout.total, layout.slots, 11);
    const sentences = randomSentences(arch, [4, 6, 2], 5);
    const backend = new WasmBackend(layout);
    backend.setParameters(params);
    const loss = backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 }).loss;
    const tol = 1e-5 * Math.max(1, Math.abs(loss));
    expect(Math.abs(loss - referenceLoss(layout, Float64Array.from(params), sentences))).toBeLessThan(tol);
    // the network that read lex type 0 where the bigram is (and vice versa), or char/word where the bigram is
    for (const [a, b, n] of [[7, 10, 3], [4, 7, 3], [0, 7, 3]] as const) {
      const swapped = swapInputColumns(layout, params, a, b, n);
      expect(Math.abs(loss - referenceLoss(layout, Float64Array.from(swapped), sentences)), `columns [${a}, ${a + n}) ↔ [${b}, ${b + n})`).toBeGreaterThan(1e-3);
    }
  });
  it('the bigram ids feed the bigram columns: other ids give another loss, the reference\'s', () => {
    const arch = bigramArch();
    const layout = new ParamLayout(arch);
    const params = randomParams(layout.total, layout.slots, 11);
    const sentences = randomSentences(arch, [4, 6, 2], 5);
    const shifted: Sentence[] = sentences.map((s) => ({ ...s, bigramIds: Int32Array.from(s.bigramIds!, (id) => 1 + (id % 7)) }));
    const backend = new WasmBackend(layout);
    backend.setParameters(params);
    const a = backend.forwardBackwardSync(sentences, { dropout: 0, seed: 0 }).loss;
    const b = backend.forwardBackwardSync(shifted, { dropout: 0, seed: 0 }).loss;
    expect(Math.abs(a - b)).toBeGreaterThan(1e-3);
    expect(Math.abs(b - referenceLoss(layout, Float64Array.from(params), shifted))).toBeLessThan(1e-5 * Math.max(1, Math.abs(b)));
    // the <pad> row is an ordinary row of the table to the forward pass (its value is what init leaves: 0)
    const pad: Sentence[] = sentences.map((s) => ({ ...s, bigramIds: new Int32Array(s.charIds.length) }));
    const c = backend.forwardBackwardSync(pad, { dropout: 0, seed: 0 }).loss;
    expect(Math.abs(c - referenceLoss(layout, Float64Array.from(params), pad))).toBeLessThan(1e-5 * Math.max(1, Math.abs(c)));
  });
});

describe('bigram channel plumbing (batch, parameters, workers)', () => {
  const arch = bigramArch();
  const ok = (T: number, bigramIds: Int32Array | undefined): Sentence => ({
    charIds: new Int32Array(T).fill(1),
    wordIds: new Int32Array(T).fill(1),
    tagIds: new Int32Array(T),
    bigramIds,
  });

  it('validateSentence refuses missing, wrong-length and out-of-range bigram ids', () => {
    expect(() => validateSentence(ok(3, Int32Array.from([0, 1, 7])), arch)).not.toThrow();
    expect(() => validateSentence(ok(2, undefined), arch, 4)).toThrow(/sentence 4.*bigram channel: bigramIds must be an Int32Array \[T\]|bigram channel: bigramIds must be an Int32Array \[T\]/);
    expect(() => validateSentence(ok(2, [1, 2] as unknown as Int32Array), arch)).toThrow(/Int32Array/);
    expect(() => validateSentence(ok(2, Int32Array.from([1, 2, 3])), arch)).toThrow(/bigramIds has 3 ids, expected 2/);
    expect(() => validateSentence(ok(2, Int32Array.from([1, 8])), arch)).toThrow(/bigramIds\[1\] = 8 is outside the bigram vocabulary \[0, 8\)/);
    expect(() => validateSentence(ok(2, Int32Array.from([-1, 2])), arch)).toThrow(/bigramIds\[0\] = -1 is outside the bigram vocabulary/);
    // without a bigram channel bigramIds are not looked at
    expect(() => validateSentence(ok(2, undefined), tinyArch())).not.toThrow();
    expect(() => validateSentence(ok(2, Int32Array.from([99])), tinyArch())).not.toThrow();
    // the backend refuses such a sentence before running anything
    const backend = new WasmBackend(new ParamLayout(arch));
    expect(() => backend.forwardBackwardSync([ok(3, Int32Array.from([1, 2, 3])), ok(2, Int32Array.from([1]))], { dropout: 0, seed: 0 })).toThrow(/bigramIds has 1 ids, expected 2/);
  });

  it('prepareBatch lays bigram ids out time-major [T·B], sentences longest first', () => {
    const a = ok(2, Int32Array.from([2, 3])); // T 2
    const b = ok(3, Int32Array.from([4, 5, 6])); // T 3
    const c = ok(1, Int32Array.from([7])); // T 1
    const batch = prepareBatch([a, b, c], arch);
    expect(Array.from(batch.order)).toEqual([1, 0, 2]);
    // row t·B + b: sentence order[b] at step t; rows past a sentence's end stay 0
    expect(Array.from(batch.bigramIds!)).toEqual([4, 2, 7, 5, 3, 0, 6, 0, 0]);
    expect(prepareBatch([a, b, c], tinyArch()).bigramIds).toBeUndefined();
    // with a lexicon too, both are laid out
    const both = prepareBatch([{ ...a, lexIds: Int32Array.from([1, 6, 2, 7]) }], bigramArch({ lexTypes: 2, lexDim: 3 }));
    expect(Array.from(both.bigramIds!)).toEqual([2, 3]);
    expect(Array.from(both.lexIds!)).toEqual([1, 6, 2, 7]);
  });

  it('initParameters: embed.bigram uniform in ±√(3 / bigramDim) with the <pad> row 0 zero; char/word embeddings draw what they draw without the channel', () => {
    const withBigrams = new ParamLayout(bigramArch({ bigramVocab: 20, bigramDim: 4 }));
    const without = new ParamLayout(tinyArch());
    const p = initParameters(withBigrams, new Rng(3));
    const q = initParameters(without, new Rng(3));
    const s = withBigrams.slot('embed.bigram');
    expect(s.shape).toEqual([20, 4]);
    const r = Math.sqrt(3 / 4);
    expect(Array.from(p.subarray(s.offset, s.offset + 4))).toEqual([0, 0, 0, 0]);
    let sumAbs = 0;
    for (let row = 1; row < 20; row++) {
      let rowAbs = 0;
      for (let d = 0; d < 4; d++) {
        const v = p[s.offset + row * 4 + d];
        expect(Math.abs(v)).toBeLessThanOrEqual(r);
        rowAbs += Math.abs(v);
      }
      expect(rowAbs, `embed.bigram row ${row} is drawn`).toBeGreaterThan(0);
      sumAbs += rowAbs;
    }
    expect(sumAbs / (19 * 4)).toBeGreaterThan(r / 4);
    for (const name of ['embed.char', 'embed.word']) {
      const a = withBigrams.slot(name);
      const b = without.slot(name);
      expect(Array.from(p.subarray(a.offset, a.offset + a.size)), name).toEqual(Array.from(q.subarray(b.offset, b.offset + b.size)));
    }
  });

  it('2 workers give the loss, gradients and decoded paths of 1 thread (bigram ids cross to the workers)', async () => {
    await expectWorkersMatchOneThread(bigramArch({ lstm: [6, 4], lexTypes: 2, lexDim: 2 }), 'embed.bigram');
  });
});
