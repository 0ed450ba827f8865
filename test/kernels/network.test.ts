import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture, Weights } from '../../src/model/layout.js';
import type { Kernels } from '../../src/model/kernels.js';
import { createNetwork } from '../../src/model/network.js';
import { refEmissions, refModel } from '../reference/reference.js';
import { mulberry32, quantizeWeights, randomWeights } from '../reference/weights.js';
import { describeBuilds, testKernels } from './load.js';

describeBuilds((build) => {
  let kernels: Kernels;
  beforeAll(async () => {
    kernels = await testKernels(build);
  });

  function randomBatch(arch: Architecture, n: number, maxLen: number, seed: number, minLen = 1) {
    const rnd = mulberry32(seed);
    const charIds: Int32Array[] = [];
    const wordIds: Int32Array[] = [];
    for (let s = 0; s < n; s++) {
      const T = minLen + Math.floor(rnd() * (maxLen - minLen + 1));
      charIds.push(Int32Array.from({ length: T }, () => Math.floor(rnd() * Math.max(arch.charVocab, 1))));
      wordIds.push(Int32Array.from({ length: T }, () => Math.floor(rnd() * Math.max(arch.wordVocab, 1))));
    }
    return { charIds, wordIds };
  }

  function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
    expect(a.length).toBe(b.length);
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  const ARCHS: [string, Architecture][] = [
    ['paper sizes', { charVocab: 300, charDim: 50, wordVocab: 500, wordDim: 50, lstm: [128, 64], tags: 11, crf: true }],
    ['odd sizes (padding everywhere)', { charVocab: 37, charDim: 7, wordVocab: 29, wordDim: 6, lstm: [13, 5], tags: 3, crf: true }],
    ['three layers, crf=false', { charVocab: 20, charDim: 9, wordVocab: 20, wordDim: 4, lstm: [6, 11, 4], tags: 7, crf: false }],
    ['no word embeddings', { charVocab: 40, charDim: 16, wordVocab: 0, wordDim: 0, lstm: [16], tags: 5, crf: true }],
    ['no char embeddings', { charVocab: 0, charDim: 0, wordVocab: 40, wordDim: 10, lstm: [8], tags: 4, crf: true }],
    ['no LSTM (embeddings → dense)', { charVocab: 40, charDim: 12, wordVocab: 40, wordDim: 12, lstm: [], tags: 5, crf: true }],
  ];

  describe('emissions match the plain-TS reference (f32 within 1e-4)', () => {
    for (const [label, arch] of ARCHS) {
      it(label, () => {
        const w = randomWeights(arch, 11);
        const net = createNetwork(kernels, arch, w);
        expect(net.quantized).toBe(false);
        const batch = randomBatch(arch, 9, 40, 3);
        const ems = net.emissions(batch);
        const ref = refModel(arch, w);
        let worst = 0;
        ems.forEach((em, s) => {
          expect(em.length).toBe(batch.charIds[s].length * arch.tags);
          worst = Math.max(worst, maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s])));
        });
        expect(worst).toBeLessThan(1e-4);
      });
    }
  });

  it('saturated gates (weights 5× larger, cell states far outside ±1) still match the reference within 1e-4', () => {
    const arch = ARCHS[0][1];
    const w = randomWeights(arch, 13, { scale: 8, embScale: 3 });
    const net = createNetwork(kernels, arch, w);
    const batch = randomBatch(arch, 4, 120, 5, 80);
    const ref = refModel(arch, w);
    let worst = 0;
    net.emissions(batch).forEach((em, s) => {
      worst = Math.max(worst, maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s])));
    });
    expect(worst).toBeLessThan(1e-4);
  });

  describe('int8 weights', () => {
    const arch = ARCHS[0][1];
    const w = randomWeights(arch, 5);
    const wq = quantizeWeights(arch, w);
    const batch = randomBatch(arch, 12, 60, 9);

    it('match the reference run on the dequantised weights (activation quantisation error < 2e-4)', () => {
      const net = createNetwork(kernels, arch, wq);
      expect(net.quantized).toBe(true);
      const ref = refModel(arch, wq);
      let worst = 0;
      net.emissions(batch).forEach((em, s) => {
        worst = Math.max(worst, maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s])));
      });
      expect(worst).toBeLessThan(2e-4);
    });

    it('stay close to the f32 network (weight quantisation error relative to the emission RMS: mean < 1%, max < 5%)', () => {
      const f = createNetwork(kernels, arch, w).emissions(batch);
      const q = createNetwork(kernels, arch, wq).emissions(batch);
      let worst = 0;
      let sum = 0;
      let n = 0;
      let spread = 0;
      f.forEach((em, s) => {
        for (let i = 0; i < em.length; i++) {
          const d = Math.abs(em[i] - q[s][i]);
          worst = Math.max(worst, d);
          sum += d;
          spread += em[i] * em[i];
          n++;
        }
      });
      const rms = Math.sqrt(spread / n);
      console.log(`int8 vs f32 emissions: rms ${rms.toFixed(4)}, mean |Δ| ${(sum / n).toExponential(2)}, max |Δ| ${worst.toExponential(2)}`);
      expect(rms).toBeGreaterThan(0.1); // the emissions are not trivially small
      expect(sum / n / rms).toBeLessThan(0.01);
      expect(worst / rms).toBeLessThan(0.05);
    });

    it('mixed f32 / int8 tensors work (only the LSTM recurrent matrices quantised)', () => {
      const wm = quantizeWeights(arch, w, (name) => name.endsWith('.w_hh'));
      const net = createNetwork(kernels, arch, wm);
      const ref = refModel(arch, wm);
      const small = randomBatch(arch, 3, 30, 4);
      net.emissions(small).forEach((em, s) => {
        expect(maxAbsDiff(em, refEmissions(ref, small.charIds[s], small.wordIds[s]))).toBeLessThan(2e-4);
      });
    });
  });

  describe('lockstep batching', () => {
    const arch = ARCHS[1][1];
    const w = randomWeights(arch, 21);

    for (const quant of [false, true]) {
      it(`a batch of different lengths gives what one-at-a-time gives (${quant ? 'int8' : 'f32'})`, () => {
        const net = createNetwork(kernels, arch, quant ? quantizeWeights(arch, w) : w, { batchSize: 8 });
        const batch = randomBatch(arch, 20, 33, 17);
        // duplicates of one sentence land in the same batch at different slots
        batch.charIds.push(batch.charIds[0], batch.charIds[0]);
        batch.wordIds.push(batch.wordIds[0], batch.wordIds[0]);
        const together = net.emissions(batch);
        batch.charIds.forEach((c, s) => {
          const [alone] = net.emissions({ charIds: [c], wordIds: [batch.wordIds[s]] });
          expect(maxAbsDiff(together[s], alone)).toBeLessThan(1e-6);
        });
        expect(maxAbsDiff(together[0], together[20])).toBe(0);
      });
    }

    it('batch size and the per-batch character cap do not change results', () => {
      const batch = randomBatch(arch, 30, 50, 2);
      const a = createNetwork(kernels, arch, w, { batchSize: 1 }).emissions(batch);
      const b = createNetwork(kernels, arch, w, { batchSize: 64, maxBatchChars: 100 }).emissions(batch);
      const c = createNetwork(kernels, arch, w, { batchSize: 64 }).emissions(batch);
      a.forEach((em, s) => {
        expect(maxAbsDiff(em, b[s])).toBeLessThan(1e-6);
        expect(maxAbsDiff(em, c[s])).toBeLessThan(1e-6);
      });
    });

    it('empty sentences give empty emissions and leave the others alone', () => {
      const net = createNetwork(kernels, arch, w);
      const batch = randomBatch(arch, 3, 10, 8);
      const ref = net.emissions(batch);
      const withEmpty = {
        charIds: [new Int32Array(0), ...batch.charIds, new Int32Array(0)],
        wordIds: [new Int32Array(0), ...batch.wordIds, new Int32Array(0)],
      };
      const ems = net.emissions(withEmpty);
      expect(ems.length).toBe(5);
      expect(ems[0].length).toBe(0);
      expect(ems[4].length).toBe(0);
      for (let s = 0; s < 3; s++) expect(maxAbsDiff(ems[s + 1], ref[s])).toBe(0);
      expect(net.emissions({ charIds: [], wordIds: [] })).toEqual([]);
    });

    it('a long sentence (beyond the batch character cap) runs alone and matches the reference', () => {
      const net = createNetwork(kernels, arch, w, { maxBatchChars: 64 });
      const batch = randomBatch(arch, 2, 300, 12, 200);
      const ref = refModel(arch, w);
      net.emissions(batch).forEach((em, s) => {
        expect(maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s]))).toBeLessThan(1e-4);
      });
    });

    it('repeated calls do not leak wasm memory', () => {
      const net = createNetwork(kernels, arch, w);
      const batch = randomBatch(arch, 10, 40, 1);
      net.emissions(batch);
      const before = kernels.mark();
      for (let i = 0; i < 5; i++) net.emissions(batch);
      expect(kernels.mark()).toBe(before);
    });
  });

  describe('folded layer-0 input projection (per-id rows, NetworkOptions.foldInput)', () => {
    const lexArch: Architecture = { charVocab: 37, charDim: 7, wordVocab: 29, wordDim: 6, bigramVocab: 50, bigramDim: 4, lexTypes: 2, lexDim: 3, lstm: [13, 5], tags: 5, crf: true };
    function fullBatch(arch: Architecture, n: number, maxLen: number, seed: number) {
      const b = randomBatch(arch, n, maxLen, seed);
      if (!arch.lexTypes) return b;
      const rnd = mulberry32(seed + 1);
      const lexIds = b.charIds.map((c) => Int32Array.from({ length: c.length * arch.lexTypes! }, (_, i) => 5 * (i % arch.lexTypes!) + Math.floor(rnd() * 5)));
      const bigramIds = b.charIds.map((c) => Int32Array.from({ length: c.length }, () => Math.floor(rnd() * arch.bigramVocab!)));
      return { ...b, lexIds, bigramIds };
    }
    const cases: [string, Architecture][] = [['paper sizes', ARCHS[0][1]], ['odd sizes', ARCHS[1][1]], ['char | word | bigram | lex', lexArch]];
    for (const [label, arch] of cases) {
      for (const quant of [false, true]) {
        it(`gives what the unfolded product gives: ${label} (${quant ? 'int8' : 'f32'})`, () => {
          const w0 = randomWeights(arch, 41);
          const w = quant ? quantizeWeights(arch, w0) : w0;
          const batch = fullBatch(arch, 14, 45, 6);
          const folded = createNetwork(kernels, arch, w);
          const plain = createNetwork(kernels, arch, w, { foldInput: false });
          expect(folded.folded).toBe(true);
          expect(plain.folded).toBe(false);
          const a = folded.emissions(batch);
          const b = plain.emissions(batch);
          let worst = 0;
          a.forEach((em, s) => (worst = Math.max(worst, maxAbsDiff(em, b[s]))));
          // f32: the same products summed in another order; int8: the unfolded path rounds x to i16 first
          expect(worst).toBeLessThan(quant ? 2e-4 : 1e-5);
          expect(worst).toBeGreaterThan(0); // the two paths really differ (this is not the same code twice)
        });
      }
    }

    it('a cache too small for every id gives bit for bit what a full one gives, call after call', () => {
      const arch = ARCHS[0][1];
      const w = quantizeWeights(arch, randomWeights(arch, 43));
      const full = createNetwork(kernels, arch, w);
      // room for 20 rows of [fw 4Hp | bw 4Hp] (Hp = 128: 4 KiB each) over 800 ids: most ids get scratch rows
      const small = createNetwork(kernels, arch, w, { foldCacheBytes: 20 * 4096 });
      expect(small.folded).toBe(true);
      const first = randomBatch(arch, 10, 40, 8);
      const second = randomBatch(arch, 12, 30, 9);
      const want = [full.emissions(first), full.emissions(second)];
      for (let round = 0; round < 2; round++) {
        const got = [small.emissions(first), small.emissions(second)];
        got.forEach((ems, i) => ems.forEach((em, s) => expect(maxAbsDiff(em, want[i][s])).toBe(0)));
      }
      // and the full cache gives on its second pass (every row cached) what it gave on its first
      full.emissions(second).forEach((em, s) => expect(maxAbsDiff(em, want[1][s])).toBe(0));
    });

    it('a cache filled over many chunks (every id of 300 chars and 500 words) matches the product, then the same again', () => {
      const arch = ARCHS[0][1];
      const w = quantizeWeights(arch, randomWeights(arch, 46));
      const folded = createNetwork(kernels, arch, w);
      const plain = createNetwork(kernels, arch, w, { foldInput: false });
      const batch = randomBatch(arch, 120, 60, 10, 30); // ~5,400 rows: nearly every id of both tables
      const a = folded.emissions(batch);
      const b = plain.emissions(batch);
      let worst = 0;
      a.forEach((em, s) => (worst = Math.max(worst, maxAbsDiff(em, b[s]))));
      expect(worst).toBeLessThan(2e-4);
      folded.emissions(batch).forEach((em, s) => expect(maxAbsDiff(em, a[s])).toBe(0));
    });

    it('runs without leaking scratch, and a sentence alone gives what it gives in a batch', () => {
      const arch = ARCHS[1][1];
      const net = createNetwork(kernels, arch, randomWeights(arch, 44), { foldCacheBytes: 8 * 4 * 8 * 16 });
      const batch = randomBatch(arch, 9, 30, 4);
      const together = net.emissions(batch);
      const before = kernels.mark();
      batch.charIds.forEach((c, s) => {
        const [alone] = net.emissions({ charIds: [c], wordIds: [batch.wordIds[s]] });
        expect(maxAbsDiff(together[s], alone)).toBeLessThan(1e-6);
      });
      expect(kernels.mark()).toBe(before);
    });

    it('foldCacheBytes 0 or foldInput false turn it off; bad values are refused with the value', () => {
      const arch = ARCHS[1][1];
      const w = randomWeights(arch, 45);
      expect(createNetwork(kernels, arch, w, { foldCacheBytes: 0 }).folded).toBe(false);
      expect(createNetwork(kernels, { ...arch, lstm: [] }, randomWeights({ ...arch, lstm: [] }, 45)).folded).toBe(false);
      expect(() => createNetwork(kernels, arch, w, { foldCacheBytes: -1 })).toThrow('createNetwork: foldCacheBytes must be an integer ≥ 0, got -1');
      expect(() => createNetwork(kernels, arch, w, { foldCacheBytes: 1.5 })).toThrow('createNetwork: foldCacheBytes must be an integer ≥ 0, got 1.5');
      expect(() => createNetwork(kernels, arch, w, { foldInput: 'yes' as unknown as boolean })).toThrow('createNetwork: foldInput must be a boolean, got string');
    });
  });

  describe('bad inputs raise clear errors', () => {
    const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 4, lstm: [4], tags: 3, crf: true };
    const w = randomWeights(arch, 1);
    const clone = (): Weights => new Map(w);

    it('missing tensor', () => {
      const bad = clone();
      bad.delete('lstm.0.bw.w_hh');
      expect(() => createNetwork(kernels, arch, bad)).toThrow(/tensor "lstm\.0\.bw\.w_hh" is missing \(expected f32 \[16, 4\]\)/);
    });

    it('wrong shape', () => {
      const bad = clone();
      bad.set('dense.w', { dtype: 'f32', shape: [3, 7], data: new Float32Array(21) });
      expect(() => createNetwork(kernels, arch, bad)).toThrow(/"dense\.w" has shape \[3, 7\], expected \[3, 8\]/);
    });

    it('wrong dtype, int8 without scale, int8 where f32 is required', () => {
      const bad = clone();
      bad.set('crf.trans', { dtype: 'i8', shape: [3, 3], data: new Int8Array(9) });
      expect(() => createNetwork(kernels, arch, bad)).toThrow(/"crf\.trans" must be f32, got i8/);
      const q = quantizeWeights(arch, w);
      q.delete('embed.char.scale');
      expect(() => createNetwork(kernels, arch, q)).toThrow(/int8 tensor "embed\.char" has no "embed\.char\.scale" \(expected f32 \[10\]\)/);
      const i32 = clone();
      i32.set('dense.b', { dtype: 'i32', shape: [3], data: new Int32Array(3) });
      expect(() => createNetwork(kernels, arch, i32)).toThrow(/"dense\.b" has dtype i32, expected f32/);
    });

    it('data length and non-finite values', () => {
      const bad = clone();
      bad.set('dense.b', { dtype: 'f32', shape: [3], data: new Float32Array(4) });
      expect(() => createNetwork(kernels, arch, bad)).toThrow(/"dense\.b" holds 4 values, its shape \[3\] needs 3/);
      const nan = clone();
      nan.set('dense.b', { dtype: 'f32', shape: [3], data: Float32Array.from([0, NaN, 0]) });
      expect(() => createNetwork(kernels, arch, nan)).toThrow(/"dense\.b" has a non-finite value at flat index 1/);
    });

    it('bad architecture', () => {
      expect(() => createNetwork(kernels, { ...arch, lstm: [4, 0] }, w)).toThrow(/lstm\[1\] must be an integer ≥ 1, got 0/);
      expect(() => createNetwork(kernels, { ...arch, charDim: 0, wordDim: 0 }, w)).toThrow(/charDim \+ wordDim must be > 0/);
    });

    it('ids out of range, mismatched lengths, wrong types', () => {
      const net = createNetwork(kernels, arch, w);
      const ok = Int32Array.from([1, 2, 3]);
      expect(() => net.emissions({ charIds: [ok, Int32Array.from([1, 10, 2])], wordIds: [ok, ok] })).toThrow(
        /charIds\[1\]\[1\] = 10 is outside the char vocabulary \[0, 10\)/,
      );
      expect(() => net.emissions({ charIds: [ok], wordIds: [Int32Array.from([0, -1, 2])] })).toThrow(
        /wordIds\[0\]\[1\] = -1 is outside the word vocabulary \[0, 8\)/,
      );
      expect(() => net.emissions({ charIds: [ok], wordIds: [Int32Array.from([1, 2])] })).toThrow(/sentence 0 has 3 char ids but 2 word ids/);
      expect(() => net.emissions({ charIds: [ok, ok], wordIds: [ok] })).toThrow(/2 sentences of charIds but 1 of wordIds/);
      expect(() => net.emissions({ charIds: [[1, 2] as unknown as Int32Array], wordIds: [ok] })).toThrow(/charIds\[0\] must be an Int32Array/);
    });
  });

  describe('entity-lexicon channel (embed.lex, one row per type per position)', () => {
    /** per sentence [T × L] ids 5k + position, positions drawn at random (every row of embed.lex is valid) */
    function withLexIds(arch: Architecture, batch: { charIds: Int32Array[]; wordIds: Int32Array[] }, seed: number) {
      const rnd = mulberry32(seed);
      const L = arch.lexTypes!;
      const lexIds = batch.charIds.map((c) => Int32Array.from({ length: c.length * L }, (_, i) => 5 * (i % L) + Math.floor(rnd() * 5)));
      return { ...batch, lexIds };
    }
    const LEX_ARCHS: [string, Architecture][] = [
      ['2 types × 3, two layers', { charVocab: 37, charDim: 7, wordVocab: 29, wordDim: 6, lexTypes: 2, lexDim: 3, lstm: [13, 5], tags: 5, crf: true }],
      ['5 types × 8 (CCKS), paper-like', { charVocab: 300, charDim: 50, wordVocab: 500, wordDim: 50, lexTypes: 5, lexDim: 8, lstm: [32], tags: 11, crf: true }],
      ['1 type × 1, no LSTM, crf=false', { charVocab: 20, charDim: 5, wordVocab: 20, wordDim: 0, lexTypes: 1, lexDim: 1, lstm: [], tags: 3, crf: false }],
    ];

    for (const [label, arch] of LEX_ARCHS) {
      it(`f32 and int8 emissions match the reference: ${label}`, () => {
        const w = randomWeights(arch, 31);
        expect(w.get('embed.lex')!.shape).toEqual([5 * arch.lexTypes!, arch.lexDim!]);
        const batch = withLexIds(arch, randomBatch(arch, 9, 40, 3), 8);
        for (const [weights, tol] of [[w, 1e-4], [quantizeWeights(arch, w), 2e-4]] as const) {
          const net = createNetwork(kernels, arch, weights);
          const ref = refModel(arch, weights);
          let worst = 0;
          net.emissions(batch).forEach((em, s) => {
            expect(em.length).toBe(batch.charIds[s].length * arch.tags);
            worst = Math.max(worst, maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s], batch.lexIds[s])));
          });
          expect(worst).toBeLessThan(tol);
        }
        // embed.lex is never quantised
        expect(quantizeWeights(arch, w).get('embed.lex')!.dtype).toBe('f32');
      });
    }

    it('the lexicon ids change the emissions, each type through its own columns', () => {
      const arch = LEX_ARCHS[0][1];
      const w = randomWeights(arch, 5);
      const net = createNetwork(kernels, arch, w);
      const batch = withLexIds(arch, randomBatch(arch, 4, 20, 6, 5), 2);
      const base = net.emissions(batch);
      const none = net.emissions({ ...batch, lexIds: batch.lexIds.map((lx) => Int32Array.from(lx, (_, i) => 5 * (i % 2))) });
      // type 0 ↔ type 1 at every position
      const swapped = batch.lexIds.map((lx) => Int32Array.from(lx, (_, i) => (i % 2 === 0 ? lx[i + 1] - 5 : lx[i - 1] + 5)));
      const sw = net.emissions({ ...batch, lexIds: swapped });
      const ref = refModel(arch, w);
      base.forEach((em, s) => {
        expect(maxAbsDiff(em, none[s])).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(em, sw[s])).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(sw[s], refEmissions(ref, batch.charIds[s], batch.wordIds[s], swapped[s]))).toBeLessThan(1e-4);
      });
    });

    for (const quant of [false, true]) {
      it(`lockstep batches give what one-at-a-time gives, empty sentences included (${quant ? 'int8' : 'f32'})`, () => {
        const arch = LEX_ARCHS[0][1];
        const w = randomWeights(arch, 9);
        const net = createNetwork(kernels, arch, quant ? quantizeWeights(arch, w) : w, { batchSize: 4, maxBatchChars: 90 });
        const batch = withLexIds(arch, randomBatch(arch, 11, 33, 17), 4);
        batch.charIds.push(new Int32Array(0));
        batch.wordIds.push(new Int32Array(0));
        batch.lexIds.push(new Int32Array(0));
        const together = net.emissions(batch);
        expect(together[11].length).toBe(0);
        batch.charIds.forEach((c, s) => {
          const [alone] = net.emissions({ charIds: [c], wordIds: [batch.wordIds[s]], lexIds: [batch.lexIds[s]] });
          expect(maxAbsDiff(together[s], alone)).toBeLessThan(1e-6);
        });
      });
    }

    it('repeated calls do not leak wasm memory', () => {
      const arch = LEX_ARCHS[0][1];
      const net = createNetwork(kernels, arch, randomWeights(arch, 2));
      const batch = withLexIds(arch, randomBatch(arch, 10, 40, 1), 1);
      net.emissions(batch);
      const before = kernels.mark();
      for (let i = 0; i < 3; i++) net.emissions(batch);
      expect(kernels.mark()).toBe(before);
    });

    it('missing, wrong-length and out-of-range lexicon ids raise clear errors', () => {
      const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 4, lexTypes: 2, lexDim: 3, lstm: [4], tags: 5, crf: true };
      const net = createNetwork(kernels, arch, randomWeights(arch, 1));
      const ok = Int32Array.from([1, 2, 3]);
      const lx = Int32Array.from([0, 5, 1, 6, 4, 9]); // [3 × 2]
      expect(net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [lx] })[0].length).toBe(15);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok] })).toThrow(TypeError);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok] })).toThrow(/lexicon channel: lexIds\[0\] must be an Int32Array \[T × 2\]/);
      expect(() => net.emissions({ charIds: [ok, ok], wordIds: [ok, ok], lexIds: [lx] })).toThrow(/lexIds\[1\] must be an Int32Array/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [[0, 5, 1, 6, 4, 9] as unknown as Int32Array] })).toThrow(/Int32Array/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [lx.subarray(0, 4)] })).toThrow(
        /sentence 0 has 3 char ids but 4 lexicon ids \(expected 3 × 2\)/,
      );
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [Int32Array.from([0, 5, 1, 10, 4, 9])] })).toThrow(
        /lexIds\[0\]\[3\] = 10 is not an id of lexicon type 1 \(expected \[5, 10\)\)/,
      );
      // an id of the other type's block (type 1's slot holding a type-0 id), and a type-major layout, are refused too
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [Int32Array.from([0, 5, 1, 2, 4, 9])] })).toThrow(/lexIds\[0\]\[3\] = 2 is not an id of lexicon type 1/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [Int32Array.from([0, 1, 4, 5, 6, 9])] })).toThrow(/not an id of lexicon type/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], lexIds: [Int32Array.from([0, 5, -1, 6, 4, 9])] })).toThrow(RangeError);
    });

    it('a missing, mis-shaped or int8 embed.lex is refused when the network is built', () => {
      const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 4, lexTypes: 2, lexDim: 3, lstm: [4], tags: 5, crf: true };
      const w = randomWeights(arch, 1);
      const missing = new Map(w);
      missing.delete('embed.lex');
      expect(() => createNetwork(kernels, arch, missing)).toThrow(/tensor "embed\.lex" is missing \(expected f32 \[10, 3\]\)/);
      const shape = new Map(w);
      shape.set('embed.lex', { dtype: 'f32', shape: [5, 6], data: new Float32Array(30) });
      expect(() => createNetwork(kernels, arch, shape)).toThrow(/"embed\.lex" has shape \[5, 6\], expected \[10, 3\]/);
      const i8 = new Map(w);
      i8.set('embed.lex', { dtype: 'i8', shape: [10, 3], data: new Int8Array(30) });
      i8.set('embed.lex.scale', { dtype: 'f32', shape: [10], data: new Float32Array(10).fill(0.01) });
      expect(() => createNetwork(kernels, arch, i8)).toThrow(/"embed\.lex" must be f32, got i8/);
      // W_ih of layer 0 must take the lexicon columns: charDim + wordDim + 2 × 3 = 14
      expect(w.get('lstm.0.fw.w_ih')!.shape).toEqual([16, 14]);
      const noLex = randomWeights({ ...arch, lexTypes: 0, lexDim: 0 }, 1);
      expect(() => createNetwork(kernels, arch, new Map([...noLex, ['embed.lex', w.get('embed.lex')!]]))).toThrow(/"lstm\.0\.fw\.w_ih" has shape \[16, 8\], expected \[16, 14\]/);
    });
  });

  describe('character-bigram channel (embed.bigram, one row per bigram, may be int8)', () => {
    /** per sentence [T] bigram ids drawn uniformly from [0, bigramVocab) (the <pad> row 0 included) */
    function withBigramIds<B extends { charIds: Int32Array[] }>(arch: Architecture, batch: B, seed: number): B & { bigramIds: Int32Array[] } {
      const rnd = mulberry32(seed);
      const bigramIds = batch.charIds.map((c) => Int32Array.from({ length: c.length }, () => Math.floor(rnd() * arch.bigramVocab!)));
      return { ...batch, bigramIds };
    }
    /** lexicon ids as the lexicon section draws them */
    function lexIdsFor(arch: Architecture, charIds: Int32Array[], seed: number): Int32Array[] {
      const rnd = mulberry32(seed);
      const L = arch.lexTypes!;
      return charIds.map((c) => Int32Array.from({ length: c.length * L }, (_, i) => 5 * (i % L) + Math.floor(rnd() * 5)));
    }
    const BIGRAM_ARCHS: [string, Architecture][] = [
      ['bigrams 50 × 5, two layers', { charVocab: 37, charDim: 7, wordVocab: 29, wordDim: 6, bigramVocab: 50, bigramDim: 5, lstm: [13, 5], tags: 5, crf: true }],
      ['bigrams 400 × 50, paper-like', { charVocab: 300, charDim: 50, wordVocab: 500, wordDim: 50, bigramVocab: 400, bigramDim: 50, lstm: [32], tags: 11, crf: true }],
      ['bigrams 9 × 3, no words, no LSTM, crf=false', { charVocab: 20, charDim: 5, wordVocab: 20, wordDim: 0, bigramVocab: 9, bigramDim: 3, lstm: [], tags: 3, crf: false }],
      ['bigrams + lexicon (char | word | bigram | lex)', { charVocab: 37, charDim: 7, wordVocab: 29, wordDim: 6, bigramVocab: 50, bigramDim: 4, lexTypes: 2, lexDim: 3, lstm: [13, 5], tags: 5, crf: true }],
      ['bigrams + lexicon, no LSTM (columns straight into dense)', { charVocab: 20, charDim: 3, wordVocab: 20, wordDim: 2, bigramVocab: 30, bigramDim: 3, lexTypes: 1, lexDim: 3, lstm: [], tags: 3, crf: true }],
    ];

    for (const [label, arch] of BIGRAM_ARCHS) {
      it(`f32 and int8 emissions match the reference: ${label}`, () => {
        const w = randomWeights(arch, 41);
        expect(w.get('embed.bigram')!.shape).toEqual([arch.bigramVocab, arch.bigramDim]);
        const base = withBigramIds(arch, randomBatch(arch, 9, 40, 3), 8);
        const lexIds = arch.lexTypes ? lexIdsFor(arch, base.charIds, 5) : undefined;
        const batch = lexIds ? { ...base, lexIds } : base;
        const q = quantizeWeights(arch, w);
        // embed.bigram is quantizable: the int8 model holds it as i8 + scale
        expect(q.get('embed.bigram')!.dtype).toBe('i8');
        expect(q.get('embed.bigram.scale')!.shape).toEqual([arch.bigramVocab]);
        for (const [weights, tol, quant] of [[w, 1e-4, false], [q, 2e-4, true]] as const) {
          const net = createNetwork(kernels, arch, weights);
          expect(net.quantized).toBe(quant);
          const ref = refModel(arch, weights);
          let worst = 0;
          net.emissions(batch).forEach((em, s) => {
            expect(em.length).toBe(batch.charIds[s].length * arch.tags);
            worst = Math.max(worst, maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s], lexIds?.[s], batch.bigramIds[s])));
          });
          expect(worst, quant ? 'int8' : 'f32').toBeLessThan(tol);
        }
      });
    }

    it('only embed.bigram int8 (the rest f32) matches the reference on the dequantised table', () => {
      const arch = BIGRAM_ARCHS[0][1];
      const w = randomWeights(arch, 6);
      const wm = quantizeWeights(arch, w, (name) => name === 'embed.bigram');
      const net = createNetwork(kernels, arch, wm);
      expect(net.quantized).toBe(true);
      const batch = withBigramIds(arch, randomBatch(arch, 5, 30, 4), 3);
      const ref = refModel(arch, wm);
      const refF32 = refModel(arch, w);
      let quantShift = 0;
      net.emissions(batch).forEach((em, s) => {
        expect(maxAbsDiff(em, refEmissions(ref, batch.charIds[s], batch.wordIds[s], undefined, batch.bigramIds[s]))).toBeLessThan(1e-4);
        quantShift = Math.max(quantShift, maxAbsDiff(em, refEmissions(refF32, batch.charIds[s], batch.wordIds[s], undefined, batch.bigramIds[s])));
      });
      // the int8 table is really read (not the f32 values): its rounding shows beyond the f32 tolerance
      expect(quantShift).toBeGreaterThan(1e-5);
    });

    it('the bigram ids change the emissions through the bigram columns (and only the bigram ids of the model)', () => {
      const arch = BIGRAM_ARCHS[3][1];
      const w = randomWeights(arch, 5);
      const net = createNetwork(kernels, arch, w);
      const base = withBigramIds(arch, randomBatch(arch, 4, 20, 6, 5), 2);
      const batch = { ...base, lexIds: lexIdsFor(arch, base.charIds, 9) };
      const ref = refModel(arch, w);
      const em = net.emissions(batch);
      const other = batch.bigramIds.map((b) => Int32Array.from(b, (id) => (id + 1) % arch.bigramVocab!));
      const em2 = net.emissions({ ...batch, bigramIds: other });
      em.forEach((e, s) => {
        expect(maxAbsDiff(e, em2[s])).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(em2[s], refEmissions(ref, batch.charIds[s], batch.wordIds[s], batch.lexIds[s], other[s]))).toBeLessThan(1e-4);
      });
      // the reference is sensitive to where the bigram columns go: W_ih columns of the bigram block moved after the
      // lexicon slots give other emissions than the network's
      const wih = (name: string) => w.get(name)!;
      const In = 7 + 6 + 4 + 6;
      const moved = new Map(w);
      for (const dir of ['fw', 'bw']) {
        const t = wih(`lstm.0.${dir}.w_ih`);
        const src = t.data as Float32Array;
        const rows = t.shape[0];
        const dst = new Float32Array(src.length);
        // new column order: char | word | lex | bigram, i.e. the model that expects the lexicon before the bigram
        const perm = [...Array(13).keys(), ...[17, 18, 19, 20, 21, 22], 13, 14, 15, 16];
        for (let r = 0; r < rows; r++) for (let c = 0; c < In; c++) dst[r * In + c] = src[r * In + perm[c]];
        moved.set(`lstm.0.${dir}.w_ih`, { ...t, data: dst });
      }
      const refMoved = refModel(arch, moved);
      let far = 0;
      em.forEach((e, s) => (far = Math.max(far, maxAbsDiff(e, refEmissions(refMoved, batch.charIds[s], batch.wordIds[s], batch.lexIds[s], batch.bigramIds[s])))));
      expect(far).toBeGreaterThan(1e-2);
    });

    for (const quant of [false, true]) {
      it(`lockstep batches give what one-at-a-time gives, empty sentences included (${quant ? 'int8' : 'f32'})`, () => {
        const arch = BIGRAM_ARCHS[3][1];
        const w = randomWeights(arch, 9);
        const net = createNetwork(kernels, arch, quant ? quantizeWeights(arch, w) : w, { batchSize: 4, maxBatchChars: 90 });
        const base = withBigramIds(arch, randomBatch(arch, 11, 33, 17), 4);
        const batch = { ...base, lexIds: lexIdsFor(arch, base.charIds, 4) };
        batch.charIds.push(new Int32Array(0));
        batch.wordIds.push(new Int32Array(0));
        batch.bigramIds.push(new Int32Array(0));
        batch.lexIds.push(new Int32Array(0));
        const together = net.emissions(batch);
        expect(together[11].length).toBe(0);
        batch.charIds.forEach((c, s) => {
          const [alone] = net.emissions({ charIds: [c], wordIds: [batch.wordIds[s]], bigramIds: [batch.bigramIds[s]], lexIds: [batch.lexIds[s]] });
          expect(maxAbsDiff(together[s], alone)).toBeLessThan(1e-6);
        });
      });
    }

    it('repeated calls do not leak wasm memory', () => {
      const arch = BIGRAM_ARCHS[3][1];
      const net = createNetwork(kernels, arch, randomWeights(arch, 2));
      const base = withBigramIds(arch, randomBatch(arch, 10, 40, 1), 1);
      const batch = { ...base, lexIds: lexIdsFor(arch, base.charIds, 1) };
      net.emissions(batch);
      const before = kernels.mark();
      for (let i = 0; i < 3; i++) net.emissions(batch);
      expect(kernels.mark()).toBe(before);
    });

    it('missing, wrong-length and out-of-range bigram ids raise clear errors', () => {
      const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 4, bigramVocab: 6, bigramDim: 3, lstm: [4], tags: 5, crf: true };
      const net = createNetwork(kernels, arch, randomWeights(arch, 1));
      const ok = Int32Array.from([1, 2, 3]);
      const bg = Int32Array.from([0, 5, 1]);
      expect(net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [bg] })[0].length).toBe(15);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok] })).toThrow(TypeError);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok] })).toThrow(/bigram channel: bigramIds\[0\] must be an Int32Array/);
      expect(() => net.emissions({ charIds: [ok, ok], wordIds: [ok, ok], bigramIds: [bg] })).toThrow(/bigramIds\[1\] must be an Int32Array/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [[0, 5, 1] as unknown as Int32Array] })).toThrow(/Int32Array/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [bg.subarray(0, 2)] })).toThrow(/sentence 0 has 3 char ids but 2 bigram ids/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [Int32Array.from([0, 1, 2, 3])] })).toThrow(/3 char ids but 4 bigram ids/);
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [Int32Array.from([0, 6, 1])] })).toThrow(
        /bigramIds\[0\]\[1\] = 6 is outside the bigram vocabulary \[0, 6\)/,
      );
      expect(() => net.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [Int32Array.from([0, 1, -1])] })).toThrow(RangeError);
      // an empty sentence needs an (empty) bigram id array too
      expect(net.emissions({ charIds: [new Int32Array(0)], wordIds: [new Int32Array(0)], bigramIds: [new Int32Array(0)] })[0].length).toBe(0);
      // a model without the channel ignores bigramIds
      const plainArch: Architecture = { ...arch, bigramVocab: undefined, bigramDim: undefined };
      const plain = createNetwork(kernels, plainArch, randomWeights(plainArch, 1));
      expect(plain.emissions({ charIds: [ok], wordIds: [ok], bigramIds: [Int32Array.from([99])] })[0]).toEqual(plain.emissions({ charIds: [ok], wordIds: [ok] })[0]);
    });

    it('a missing or mis-shaped embed.bigram, or a bad bigram architecture, is refused when the network is built', () => {
      const arch: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 4, bigramVocab: 6, bigramDim: 3, lstm: [4], tags: 5, crf: true };
      const w = randomWeights(arch, 1);
      const missing = new Map(w);
      missing.delete('embed.bigram');
      expect(() => createNetwork(kernels, arch, missing)).toThrow(/tensor "embed\.bigram" is missing \(expected f32 \[6, 3\]\)/);
      const shape = new Map(w);
      shape.set('embed.bigram', { dtype: 'f32', shape: [3, 6], data: new Float32Array(18) });
      expect(() => createNetwork(kernels, arch, shape)).toThrow(/"embed\.bigram" has shape \[3, 6\], expected \[6, 3\]/);
      const noScale = new Map(quantizeWeights(arch, w, (n) => n === 'embed.bigram'));
      noScale.delete('embed.bigram.scale');
      expect(() => createNetwork(kernels, arch, noScale)).toThrow(/int8 tensor "embed\.bigram" has no "embed\.bigram\.scale"/);
      // W_ih of layer 0 takes the bigram columns: charDim + wordDim + 3 = 11
      expect(w.get('lstm.0.fw.w_ih')!.shape).toEqual([16, 11]);
      const noBigram = randomWeights({ ...arch, bigramVocab: 0, bigramDim: 0 }, 1);
      expect(() => createNetwork(kernels, arch, new Map([...noBigram, ['embed.bigram', w.get('embed.bigram')!]]))).toThrow(/"lstm\.0\.fw\.w_ih" has shape \[16, 8\], expected \[16, 11\]/);
      for (const [bad, re] of [
        [{ bigramVocab: 1 }, /bigramVocab ≥ 2/],
        [{ bigramVocab: undefined }, /bigramVocab ≥ 2/],
        [{ bigramDim: -1 }, /bigramDim/],
        [{ bigramDim: 1.5 }, /bigramDim/],
      ] as const) {
        expect(() => createNetwork(kernels, { ...arch, ...bad }, w), JSON.stringify(bad)).toThrow(re);
      }
    });
  });
});
