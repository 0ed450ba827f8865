import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTagger } from '../../src/tagger.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wasm = () => new Uint8Array(readFileSync(resolve(root, 'build/kernels.wasm')));
const model = () => new Uint8Array(readFileSync(resolve(root, 'test/vectors/model.cner')));
const TEXTS = [
  '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛，反跳痛。',
  '诊断：急性阑尾炎。予头孢曲松抗感染治疗。',
  'CT示：左肺下叶结节 0.5cm。',
];

describe('tagger.prefill', () => {
  it('computes the rows of the most frequent ids at once; tagging then gives bit for bit what it gives without', async () => {
    const plain = await createTagger({ model: model(), kernels: wasm() });
    const want = plain.tagMany(TEXTS, { kbest: 2 });
    const warmed = await createTagger({ model: model(), kernels: wasm() });
    const n = warmed.prefill(50);
    const { charVocab, wordVocab } = warmed.info.architecture;
    expect(n).toBe(Math.min(50, charVocab) + Math.min(50, wordVocab)); // one row per id of each channel
    expect(warmed.prefill(50)).toBe(0);
    expect(warmed.tagMany(TEXTS, { kbest: 2 })).toEqual(want);
    expect(() => warmed.prefill(1.5)).toThrow('prefill: count must be an integer ≥ 0, got 1.5');
  });
});
