/**
 * The trainer's weights run unchanged in the inference network (src/model/network.ts on build/kernels.wasm):
 * same emissions as the training graph, through the model file, in f32 and after int8 quantisation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadInferenceKernels } from '../../src/model/kernels.js';
import { createNetwork } from '../../src/model/network.js';
import { WasmBackend } from '../../src/train/backend.js';
import { prepareBatch } from '../../src/train/batch.js';
import { ParamLayout } from '../../src/train/params.js';
import { quantizeWeights } from '../../src/train/quantize.js';
import { randomParams, randomSentences, tinyArch } from './tiny.js';

const kernelsWasm = new URL('../../build/kernels.wasm', import.meta.url);

describe('trained weights in the inference network', () => {
  for (const arch of [tinyArch({ lstm: [5, 8] }), tinyArch({ lstm: [4], crf: false }), tinyArch({ lstm: [], wordDim: 0 })]) {
    it(`same emissions and paths for lstm ${JSON.stringify(arch.lstm)} crf=${arch.crf} charDim ${arch.charDim} wordDim ${arch.wordDim}`, async () => {
      const layout = new ParamLayout(arch);
      const params = randomParams(layout.total, layout.slots, 21, 0.5);
      const backend = new WasmBackend(layout);
      backend.setParameters(params);
      const sentences = randomSentences(arch, [7, 3, 12, 1, 5], 8);
      const mine = backend.graph.emissions(prepareBatch(sentences, arch));
      const kernels = await loadInferenceKernels(readFileSync(kernelsWasm));
      const net = createNetwork(kernels, arch, backend.getParameters());
      const theirs = net.emissions({ charIds: sentences.map((s) => s.charIds), wordIds: arch.wordDim ? sentences.map((s) => s.wordIds) : [] });
      let worst = 0;
      mine.forEach((e, i) => {
        expect(theirs[i].length).toBe(e.length);
        for (let j = 0; j < e.length; j++) worst = Math.max(worst, Math.abs(e[j] - theirs[i][j]));
      });
      expect(worst).toBeLessThan(1e-4);
      if (arch.crf) {
        const paths = await backend.decode(sentences);
        theirs.forEach((em, i) => expect(Array.from(net.viterbi(em, sentences[i].charIds.length).path)).toEqual(Array.from(paths[i])));
      }
      // int8: close to f32
      const q = createNetwork(kernels, arch, quantizeWeights(backend.getParameters(), arch));
      const qe = q.emissions({ charIds: sentences.map((s) => s.charIds), wordIds: arch.wordDim ? sentences.map((s) => s.wordIds) : [] });
      let qWorst = 0;
      mine.forEach((e, i) => {
        for (let j = 0; j < e.length; j++) qWorst = Math.max(qWorst, Math.abs(e[j] - qe[i][j]));
      });
      expect(qWorst).toBeLessThan(0.1);
    });
  }
});
