/**
 * Parity with an independent implementation: the same network in TensorFlow.js (wasm backend).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../../src/model/layout.js';
import type { Kernels } from '../../src/model/kernels.js';
import { createNetwork } from '../../src/model/network.js';
import { tfjsNetwork, useWasmBackend } from '../reference/tfjs-model.js';
import { mulberry32, quantizeWeights, randomWeights } from '../reference/weights.js';
import { describeBuilds, testKernels } from './load.js';

describeBuilds((build) => {
  let kernels: Kernels;
  beforeAll(async () => {
    kernels = await testKernels(build);
    await useWasmBackend();
  });

  function ids(n: number, T: number, V: number, rnd: () => number): Int32Array[] {
    return Array.from({ length: n }, () => Int32Array.from({ length: T }, () => Math.floor(rnd() * V)));
  }

  describe('BiLSTM emissions match TensorFlow.js (tfjs-backend-wasm)', () => {
    it('runs on the wasm backend', () => {
      expect(tf.getBackend()).toBe('wasm');
    });

    const cases: [string, Architecture][] = [
      [
        'paper sizes',
        { charVocab: 200, charDim: 50, wordVocab: 300, wordDim: 50, lstm: [128, 64], tags: 11, crf: true },
      ],
      ['odd sizes', { charVocab: 30, charDim: 7, wordVocab: 25, wordDim: 5, lstm: [9, 6], tags: 4, crf: false }],
    ];
    for (const [label, arch] of cases) {
      it(`${label}: f32 within 1e-4, sentences of different lengths batched by us`, () => {
        const w = randomWeights(arch, 31);
        const net = createNetwork(kernels, arch, w);
        const ref = tfjsNetwork(arch, w);
        const rnd = mulberry32(6);
        const lengths = [1, 7, 30, 30, 64];
        const charIds = lengths.flatMap((T) => ids(1, T, arch.charVocab, rnd));
        const wordIds = lengths.flatMap((T) => ids(1, T, arch.wordVocab, rnd));
        const mine = net.emissions({ charIds, wordIds });
        let worst = 0;
        charIds.forEach((c, s) => {
          const [theirs] = ref.emissions([c], [wordIds[s]]); // tfjs: one sentence at a time (no masking)
          for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(theirs[i] - mine[s][i]));
        });
        // and a same-length batch through tfjs
        const theirs = ref.emissions(charIds.slice(2, 4), wordIds.slice(2, 4));
        theirs.forEach((em, b) => {
          for (let i = 0; i < em.length; i++) worst = Math.max(worst, Math.abs(em[i] - mine[2 + b][i]));
        });
        ref.dispose();
        expect(worst).toBeLessThan(1e-4);
      });
    }

    it('int8 network vs tfjs run on the dequantised weights: within 2e-4', () => {
      const arch = cases[0][1];
      const wq = quantizeWeights(arch, randomWeights(arch, 32));
      const net = createNetwork(kernels, arch, wq);
      const ref = tfjsNetwork(arch, wq);
      const rnd = mulberry32(7);
      const charIds = ids(3, 40, arch.charVocab, rnd);
      const wordIds = ids(3, 40, arch.wordVocab, rnd);
      const mine = net.emissions({ charIds, wordIds });
      const theirs = ref.emissions(charIds, wordIds);
      ref.dispose();
      let worst = 0;
      theirs.forEach((em, b) => {
        for (let i = 0; i < em.length; i++) worst = Math.max(worst, Math.abs(em[i] - mine[b][i]));
      });
      expect(worst).toBeLessThan(2e-4);
    });
  });
});
