import { describe, expect, it } from 'vitest';
import { createLookup, featurize, UNK_ID, wordRowsPerWord } from '../../src/features/index.js';
import { readModel, writeModel, ModelFormatError } from '../../src/model/format.js';
import { randomModel } from '../helpers/random-model.js';

describe('word positions in the word channel', () => {
  const lookup = createLookup({ chars: ['<pad>', '<unk>', '上', '腹', '部', '痛'], words: ['<pad>', '<unk>', '上腹部', '痛'] });
  const tokens = ['上', '腹', '部', '痛', '痛', 'x', 'y'];
  const words = ['上腹部', '痛', '痛', 'xy'];

  it('row = 4·wordId + B/M/E/S', () => {
    const { wordIds } = featurize(tokens, words, lookup, { wordPositions: true });
    // 上腹部 (id 2): B M E; 痛 (id 3): S; 痛: S; xy (unknown, id 1): B E
    expect([...wordIds]).toEqual([8, 9, 10, 15, 15, 4 * UNK_ID + 0, 4 * UNK_ID + 2]);
  });

  it('without the option, one row per word (ids unchanged)', () => {
    const { wordIds } = featurize(tokens, words, lookup);
    expect([...wordIds]).toEqual([2, 2, 2, 3, 3, 1, 1]);
    expect(wordRowsPerWord(undefined)).toBe(1);
    expect(wordRowsPerWord({ wordPositions: true })).toBe(4);
  });

  it('the model file checks the word rows against header.features', () => {
    const m = readModel(randomModel({ seed: 3 }).bytes);
    // claiming word positions without 4× rows is refused with VOCAB_MISMATCH
    const header = { ...m.header, features: { wordPositions: true } };
    let err: unknown;
    try {
      writeModel(header, m.weights);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).code).toBe('VOCAB_MISMATCH');
    expect(() => writeModel({ ...m.header, features: { wordPositions: 'yes' as unknown as boolean } }, m.weights)).toThrow(/features.wordPositions/);
    // with 4 rows per word it is accepted
    const wp = readModel(randomModel({ seed: 3, wordPositions: true }).bytes);
    expect(wp.header.features).toEqual({ wordPositions: true });
    expect(wp.header.architecture.wordVocab).toBe(4 * wp.header.vocab.words.length);
  });

  it('a model with word positions loads and tags', async () => {
    const { bytes, header } = randomModel({ seed: 5, wordPositions: true, cut: (s) => s.match(/.{1,3}/gsu) ?? [] });
    const { createTagger } = await import('../../src/tagger.js');
    const { readFileSync } = await import('node:fs');
    const kernels = new Uint8Array(readFileSync(new URL('../../build/kernels.wasm', import.meta.url)));
    const tagger = await createTagger({ model: bytes, kernels });
    const r = tagger.tag('患者右下腹痛三天，伴恶心呕吐。');
    for (const e of r.entities) expect(e.end).toBeGreaterThan(e.start);
    expect(header.architecture.wordVocab % 4).toBe(0);
  });
});
