/**
 * The input-channel descriptors (src/features/channels.ts) and what the weight layout derives from them
 * (src/model/layout.ts inputColumns, inputSize, tensorSpecs): one list says the channels, their order, their
 * tables and their ids.
 */
import { describe, expect, it } from 'vitest';
import {
  BIGRAM,
  CHANNELS,
  CHAR,
  CHAR_LM,
  LEXICON,
  LEX_POSITIONS,
  Lexicon,
  OUTSIDE_LEX,
  WORD,
  activeChannels,
  badChannelId,
  buildVocab,
  channelIdsOf,
  channelPresent,
  checkOptionalChannels,
  createLookup,
  featurize,
  sliceChannelIds,
} from '../../src/features/index.js';
import { type Architecture, inputColumns, inputSize, tensorSpecs } from '../../src/model/layout.js';

const base: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 3, lstm: [2], tags: 5, crf: true };
const all: Architecture = { ...base, bigramVocab: 6, bigramDim: 2, lexTypes: 2, lexDim: 5 };

describe('the channel list', () => {
  it('names char, word, bigram, lexicon, charLm, outsideLex in input order, each with its own field, tensor and architecture fields', () => {
    expect(CHANNELS.map((c) => c.name)).toEqual(['char', 'word', 'bigram', 'lexicon', 'charLm', 'outsideLex']);
    expect(CHANNELS).toEqual([CHAR, WORD, BIGRAM, LEXICON, CHAR_LM, OUTSIDE_LEX]);
    // the dense charLm channel has no ids of its own: it is computed from the char ids
    expect(CHANNELS.map((c) => c.field)).toEqual([
      'charIds',
      'wordIds',
      'bigramIds',
      'lexIds',
      'charIds',
      'outsideLexIds',
    ]);
    expect(CHANNELS.filter((c) => c.dense)).toEqual([CHAR_LM]);
    expect(CHANNELS.map((c) => c.tensor)).toEqual([
      'embed.char',
      'embed.word',
      'embed.bigram',
      'embed.lex',
      'charlm.fw.embed',
      'embed.outside',
    ]);
    for (const key of ['name', 'tensor', 'dimField', 'sizeField'] as const) {
      expect(new Set(CHANNELS.map((c) => c[key])).size, key).toBe(CHANNELS.length);
    }
    const looked = CHANNELS.filter((c) => !c.dense);
    expect(new Set(looked.map((c) => c.field)).size, 'field').toBe(looked.length);
    expect(CHANNELS.filter((c) => c.core)).toEqual([CHAR, WORD]);
  });

  it('a channel is on when its dimension is > 0; core channels are always present', () => {
    expect(activeChannels(base)).toEqual([CHAR, WORD]);
    expect(activeChannels(all)).toEqual([CHAR, WORD, BIGRAM, LEXICON]);
    expect(activeChannels({ ...all, charDim: 0, bigramDim: 0 })).toEqual([WORD, LEXICON]);
    expect(CHANNELS.filter((c) => channelPresent(c, { ...base, charDim: 0 }))).toEqual([CHAR, WORD]);
    expect(CHANNELS.filter((c) => channelPresent(c, all))).toEqual([CHAR, WORD, BIGRAM, LEXICON]);
    // a dense channel is on (columns) but never present (no ids)
    const lm = { ...all, charLmHidden: 8, charLmDim: 4 };
    expect(activeChannels(lm)).toEqual([CHAR, WORD, BIGRAM, LEXICON, CHAR_LM]);
    expect(CHANNELS.filter((c) => channelPresent(c, lm))).toEqual([CHAR, WORD, BIGRAM, LEXICON]);
  });
});

describe('the layout follows the list', () => {
  it('columns of x_t: char | word | bigram | lex type 0 … L-1, adding up to inputSize', () => {
    const cols = inputColumns(all).map((c) => [c.channel.name, c.col, c.dim, c.slots]);
    expect(cols).toEqual([
      ['char', 0, 4, 1],
      ['word', 4, 3, 1],
      ['bigram', 7, 2, 1],
      ['lexicon', 9, 5, 2],
    ]);
    expect(inputSize(all)).toBe(4 + 3 + 2 + 2 * 5);
    expect(inputSize(base)).toBe(7);
    expect(inputColumns({ ...all, wordDim: 0 }).map((c) => c.col)).toEqual([0, 4, 6]);
  });

  it('one table per channel that is on, [rows, dim], before the LSTM tensors', () => {
    const specs = tensorSpecs(all);
    expect(specs.slice(0, 4)).toEqual([
      { name: 'embed.char', shape: [10, 4], quantizable: true },
      { name: 'embed.word', shape: [8, 3], quantizable: true },
      { name: 'embed.bigram', shape: [6, 2], quantizable: true },
      { name: 'embed.lex', shape: [2 * LEX_POSITIONS, 5], quantizable: false },
    ]);
    expect(specs[4]).toEqual({ name: 'lstm.0.fw.w_ih', shape: [8, inputSize(all)], quantizable: true });
    expect(
      tensorSpecs(base)
        .filter((s) => s.name.startsWith('embed.'))
        .map((s) => s.name),
    ).toEqual(['embed.char', 'embed.word']);
  });
});

describe('checks', () => {
  it('checkOptionalChannels: integers ≥ 0, then each channel’s own rule', () => {
    expect(() => checkOptionalChannels(all)).not.toThrow();
    expect(() => checkOptionalChannels({ ...base, bigramDim: 1.5 })).toThrow(
      'architecture: bigramDim must be an integer ≥ 0, got 1.5',
    );
    expect(() => checkOptionalChannels({ ...base, lexTypes: -1 })).toThrow(
      'architecture: lexTypes must be an integer ≥ 0, got -1',
    );
    expect(() => checkOptionalChannels({ ...base, bigramDim: 2, bigramVocab: 1 })).toThrow(
      'architecture: a bigram channel (bigramDim 2) needs bigramVocab ≥ 2, got 1',
    );
    expect(() => checkOptionalChannels({ ...base, lexTypes: 2 })).toThrow(
      'architecture: lexTypes and lexDim must both be > 0 (a lexicon channel) or both 0, got 2 and 0',
    );
    expect(() => checkOptionalChannels({ ...base, lexTypes: 31, lexDim: 1 })).toThrow(
      'architecture: at most 30 lexicon types, got 31',
    );
  });

  it('badChannelId: the first flat index outside its slot’s range, with the channel’s words', () => {
    expect(badChannelId(CHAR, all, Int32Array.from([0, 9, 3]))).toBeNull();
    expect(badChannelId(CHAR, all, Int32Array.from([0, 10, -1]))).toEqual({
      index: 1,
      text: '= 10 is outside the char vocabulary [0, 10)',
    });
    expect(badChannelId(BIGRAM, all, Int32Array.from([1, -1]))).toEqual({
      index: 1,
      text: '= -1 is outside the bigram vocabulary [0, 6)',
    });
    // lexicon: [T × 2], slot k holds 5k + position
    expect(badChannelId(LEXICON, all, Int32Array.from([0, 5, 4, 9]))).toBeNull();
    expect(badChannelId(LEXICON, all, Int32Array.from([0, 5, 5, 4]))).toEqual({
      index: 2,
      text: '= 5 is not an id of lexicon type 0 (expected [0, 5))',
    });
  });
});

describe('featurize builds the ids of every channel its sources give', () => {
  const tokens = [...'右下腹压痛'];
  const vocab = {
    chars: buildVocab(tokens),
    words: buildVocab(['右下腹', '压痛']),
    bigrams: ['<pad>', '<unk>', '右下', '下腹'],
  };

  it('core channels always; bigram with a bigram vocabulary; lexicon with a lexicon', () => {
    const plain = featurize(tokens, ['右下腹', '压痛'], createLookup({ chars: vocab.chars, words: vocab.words }));
    expect(Object.keys(plain)).toEqual(['charIds', 'wordIds']);
    const lexicon = new Lexicon(['BODY', 'SYMP']);
    lexicon.add('右下腹', 'BODY');
    const f = featurize(tokens, ['右下腹', '压痛'], createLookup(vocab), {}, lexicon);
    expect(Object.keys(f)).toEqual(['charIds', 'wordIds', 'bigramIds', 'lexIds']);
    expect([...f.bigramIds!]).toEqual([2, 3, 1, 1, 1]);
    expect([...f.lexIds!]).toEqual([1, 5, 2, 5, 3, 5, 0, 5, 0, 5]);
  });
});

describe('channelIdsOf and sliceChannelIds: every channel a sentence holds, none named', () => {
  const s = {
    charIds: Int32Array.from([1, 2, 3]),
    wordIds: Int32Array.from([4, 4, 5]),
    lexIds: Int32Array.from([0, 5, 1, 6, 3, 9]), // [3 × 2]
    tagIds: Int32Array.from([0, 1, 2]),
  };

  it('channelIdsOf keeps the channel fields only', () => {
    expect(channelIdsOf(s)).toEqual({ charIds: s.charIds, wordIds: s.wordIds, lexIds: s.lexIds });
  });

  it('sliceChannelIds cuts each field by its own ids per token; copies unless view', () => {
    const cut = sliceChannelIds(s, 3, 1, 3);
    expect(Object.keys(cut)).toEqual(['charIds', 'wordIds', 'lexIds']);
    expect([...cut.charIds]).toEqual([2, 3]);
    expect([...cut.lexIds!]).toEqual([1, 6, 3, 9]);
    cut.charIds[0] = 99;
    expect(s.charIds[1]).toBe(2);
    const view = sliceChannelIds(s, 3, 0, 1, true);
    expect([...view.lexIds!]).toEqual([0, 5]);
    view.wordIds[0] = 7;
    expect(s.wordIds[0]).toBe(7);
    expect(() => sliceChannelIds(s, 3, 2, 4)).toThrow(
      'sliceChannelIds: expected 0 ≤ a ≤ b ≤ T, T > 0, got a 2, b 4, T 3',
    );
  });
});

describe('the dense charLm channel', () => {
  const lm: Architecture = { ...base, charLmHidden: 8, charLmDim: 3 };
  it('adds columns [h_fw | h_bw] after the others and its eight tensors in place of a table', () => {
    expect(inputColumns(lm).map((c) => [c.channel.name, c.col, c.dim, c.slots])).toEqual([
      ['char', 0, 4, 1],
      ['word', 4, 3, 1],
      ['charLm', 7, 8, 2],
    ]);
    expect(inputSize(lm)).toBe(4 + 3 + 16);
    const specs = tensorSpecs(lm).map((s) => [s.name, s.shape, s.quantizable]);
    expect(specs.slice(2, 10)).toEqual(
      ['fw', 'bw'].flatMap((d) => [
        [`charlm.${d}.embed`, [10, 3], true],
        [`charlm.${d}.w_ih`, [32, 3], true],
        [`charlm.${d}.w_hh`, [32, 8], true],
        [`charlm.${d}.bias`, [32], false],
      ]),
    );
    expect(specs[10][0]).toBe('lstm.0.fw.w_ih');
    expect(specs[10][1]).toEqual([8, 4 + 3 + 16]);
  });
  it('checks its two fields', () => {
    expect(() => checkOptionalChannels({ ...base, charLmHidden: 8 })).toThrow(
      'architecture: charLmHidden and charLmDim must both be > 0 (a charLm channel) or both 0, got 8 and 0',
    );
    expect(() => checkOptionalChannels({ ...base, charLmHidden: 12, charLmDim: 4 })).toThrow(
      'architecture: charLmHidden must be a multiple of 8, got 12',
    );
    expect(() => checkOptionalChannels({ ...base, charLmHidden: -8, charLmDim: 4 })).toThrow(
      'architecture: charLmHidden must be an integer ≥ 0, got -8',
    );
  });
  it('has no ids to carry: channelIdsOf and sliceChannelIds keep the char ids once', () => {
    const s = { charIds: Int32Array.of(2, 3, 4), wordIds: Int32Array.of(1, 1, 2) };
    expect(Object.keys(channelIdsOf(s))).toEqual(['charIds', 'wordIds']);
    expect([...sliceChannelIds(s, 3, 1, 3).charIds]).toEqual([3, 4]);
  });
});
