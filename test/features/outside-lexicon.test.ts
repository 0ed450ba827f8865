/**
 * The outsideLex channel's matcher and header form (src/features/outside-lexicon.ts): B/M/E/S sets over every
 * match on a hand-written list, overlaps, code-point tokens (surrogate pairs, combining marks), empty input, a
 * randomised comparison with a plain substring implementation of the documented rule; the segmenter mask and its
 * decoding; the descriptor's architecture and header checks; the config's validation.
 */
import { describe, expect, it } from 'vitest';
import {
  OUTSIDE_LEX,
  OutsideLexicon,
  buildVocab,
  checkOptionalChannels,
  createLookup,
  featurize,
  outsideLexiconOfHeader,
  outsideLexiconWords,
  segmenterMaskOf,
} from '../../src/features/index.js';
import { OUTSIDE_B, OUTSIDE_E, OUTSIDE_LEX_ROWS, OUTSIDE_M, OUTSIDE_S } from '../../src/features/outside-lexicon.js';
import type { Architecture } from '../../src/model/layout.js';
import { architectureFor, resolveConfig } from '../../src/train/config.js';
import { Rng } from '../../src/train/rng.js';

/** A token's id as its letters in the order B M E S ('-' = in no match). */
function places(id: number): string {
  const s =
    (OUTSIDE_B & id ? 'B' : '') +
    (OUTSIDE_M & id ? 'M' : '') +
    (OUTSIDE_E & id ? 'E' : '') +
    (OUTSIDE_S & id ? 'S' : '');
  return s || '-';
}

function match(words: string[], text: string): string[] {
  return Array.from(new OutsideLexicon(words).match(Array.from(text)), places);
}

describe('OutsideLexicon.match', () => {
  it('the documented constants: four bits, 16 rows', () => {
    expect([OUTSIDE_B, OUTSIDE_M, OUTSIDE_E, OUTSIDE_S, OUTSIDE_LEX_ROWS]).toEqual([1, 2, 4, 8, 16]);
  });

  it('B, M, E of a word of ≥ 2 tokens; S of a one-token word; nothing outside matches', () => {
    expect(match(['胆囊炎'], '患胆囊炎者')).toEqual(['-', 'B', 'M', 'E', '-']);
    expect(match(['胆囊切除术'], '胆囊切除术')).toEqual(['B', 'M', 'M', 'M', 'E']);
    expect(match(['痛'], '头痛痛')).toEqual(['-', 'S', 'S']);
    expect(match(['胆囊'], '无')).toEqual(['-']);
  });

  it('overlapping and nested matches all count: each token gets the set of its places', () => {
    // 胆囊, 胆囊炎, 囊炎 (the example of the file header)
    expect(match(['胆囊', '胆囊炎', '囊炎'], '胆囊炎')).toEqual(['B', 'BME', 'E']);
    // a word inside a longer one and the one-token word of its middle
    expect(match(['高血压病', '血压', '压'], '高血压病')).toEqual(['B', 'BM', 'MES', 'E']);
    // two words side by side: E then B
    expect(match(['肺炎', '炎症'], '肺炎症')).toEqual(['B', 'BE', 'E']);
    // M is the inside of a match only: a 2-token word has none
    expect(match(['腹痛'], '腹痛')).toEqual(['B', 'E']);
  });

  it('matches code points: surrogate pairs and combining marks are whole tokens', () => {
    // 𠀀 (U+20000) and 𪚥 are astral: one token each, two UTF-16 units
    expect(match(['𠀀𪚥', '𪚥'], 'a𠀀𪚥b')).toEqual(['-', 'B', 'ES', '-']);
    // e + U+0301 is two tokens (code points); a word of those two code points matches them
    expect(match(['e\u0301'], 'xe\u0301')).toEqual(['-', 'B', 'E']);
    // a word cut inside a surrogate pair never matches half a character
    const lex = new OutsideLexicon(['\uD840']);
    expect(Array.from(lex.match(Array.from('𠀀')))).toEqual([0]);
  });

  it('empty input, empty list, duplicates', () => {
    expect(new OutsideLexicon(['胆囊']).match([])).toEqual(new Int32Array(0));
    const none = new OutsideLexicon([]);
    expect(none.size).toBe(0);
    expect(Array.from(none.match(Array.from('胆囊')))).toEqual([0, 0]);
    expect(new OutsideLexicon(['胆囊', '胆囊', '炎']).size).toBe(2);
  });

  it('refuses bad input with exact messages', () => {
    expect(() => new OutsideLexicon('胆囊' as never)).toThrow('OutsideLexicon: expected an array of words, got string');
    expect(() => new OutsideLexicon(['胆囊', ''])).toThrow(
      'OutsideLexicon: word 1 is empty, expected a non-empty string',
    );
    expect(() => new OutsideLexicon([3 as never])).toThrow(
      'OutsideLexicon: word 0 is number, expected a non-empty string',
    );
    expect(() => new OutsideLexicon(['a']).match('ab' as never)).toThrow(
      'OutsideLexicon.match: tokens must be an array of strings, got string',
    );
  });

  it('agrees with a plain substring implementation of the rule on random text', () => {
    const rng = new Rng(16);
    const alphabet = Array.from('甲乙丙丁𠀀');
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join('');
    for (let trial = 0; trial < 200; trial++) {
      const words = Array.from({ length: 1 + rng.int(6) }, () => pick(1 + rng.int(4)));
      const tokens = Array.from(pick(rng.int(14)));
      const want = new Int32Array(tokens.length);
      for (const w of new Set(words)) {
        const L = Array.from(w).length;
        for (let t = 0; t + L <= tokens.length; t++) {
          if (tokens.slice(t, t + L).join('') !== w) continue;
          if (L === 1) want[t] |= OUTSIDE_S;
          else {
            want[t] |= OUTSIDE_B;
            for (let j = t + 1; j < t + L - 1; j++) want[j] |= OUTSIDE_M;
            want[t + L - 1] |= OUTSIDE_E;
          }
        }
      }
      expect(new OutsideLexicon(words).match(tokens), `${words.join('/')} in ${tokens.join('')}`).toEqual(want);
    }
  });
});

describe('featurize with the outsideLex channel', () => {
  const lookup = createLookup({ chars: buildVocab(Array.from('胆囊炎')), words: buildVocab(['胆囊炎']) });

  it('adds outsideLexIds [T] when the matcher is given, none without it', () => {
    const tokens = Array.from('胆囊炎');
    const lex = new OutsideLexicon(['胆囊', '胆囊炎']);
    const f = featurize(tokens, ['胆囊炎'], lookup, {}, null, { outsideLexicon: lex });
    expect(Array.from(f.outsideLexIds!, places)).toEqual(['B', 'ME', 'E']);
    expect(featurize(tokens, ['胆囊炎'], lookup).outsideLexIds).toBeUndefined();
    expect(featurize(tokens, ['胆囊炎'], lookup, {}, null, { outsideLexicon: null }).outsideLexIds).toBeUndefined();
  });

  it('refuses a source of the wrong kind', () => {
    const tokens = Array.from('胆囊炎');
    expect(() => featurize(tokens, ['胆囊炎'], lookup, {}, null, { outsideLexicon: ['胆囊'] as never })).toThrow(
      'featurize: outsideLexicon must be an OutsideLexicon or null',
    );
    expect(() => featurize(tokens, ['胆囊炎'], lookup, {}, null, null as never)).toThrow(
      'featurize: more must be an object of feature sources, got null',
    );
  });
});

describe('the header form of the list', () => {
  const segmenter = {
    kind: 'dict',
    variant: 'jieba',
    total: 100,
    words: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    freqs: [],
  };

  it('segmenterMaskOf marks the segmenter words on the list; outsideLexiconWords reads them back in dictionary order', () => {
    const { spec, count } = segmenterMaskOf(segmenter.words, ['j', 'b', 'x', 'i']);
    expect(count).toBe(3);
    // bits 1 (b), 8 (i), 9 (j): bytes [0b10, 0b11]
    expect(spec).toEqual({ segmenterMask: btoa(String.fromCharCode(2, 3)) });
    expect(outsideLexiconWords(spec, segmenter)).toEqual(['b', 'i', 'j']);
    expect(outsideLexiconWords({ words: ['x', 'y'] }, { kind: 'none' })).toEqual(['x', 'y']);
    const empty = segmenterMaskOf([], ['a']);
    expect(empty).toEqual({ spec: { segmenterMask: '' }, count: 0 });
  });

  it('refuses a malformed list with messages naming the field, never a word', () => {
    const words =
      (spec: unknown, seg: unknown = segmenter) =>
      () =>
        outsideLexiconWords(spec, seg);
    const form = "header.outsideLexicon: expected { words: [...] } or { segmenterMask: '<base64>' }";
    expect(words(null)).toThrow(`${form}, got null`);
    expect(words(['a'])).toThrow(`${form}, got array(1)`);
    expect(words({})).toThrow(`${form}, got the fields none`);
    expect(words({ words: ['a'], segmenterMask: '' })).toThrow(`${form}, got the fields words, segmenterMask`);
    expect(words({ words: 'a' })).toThrow('header.outsideLexicon.words: expected an array of strings, got string');
    expect(words({ words: ['a', ''] })).toThrow(
      'header.outsideLexicon.words[1]: expected a non-empty string, got an empty string',
    );
    expect(words({ words: ['秘密', 3] })).toThrow(
      'header.outsideLexicon.words[1]: expected a non-empty string, got number',
    );
    expect(words({ words: ['秘密', '秘密'] })).toThrow(
      /^header\.outsideLexicon\.words\[1\] duplicates an earlier word$/,
    );
    expect(words({ segmenterMask: 'a*==' })).toThrow(
      'header.outsideLexicon.segmenterMask: expected a base64 string, got 4 characters that are not base64',
    );
    expect(words({ segmenterMask: 7 })).toThrow(
      'header.outsideLexicon.segmenterMask: expected a base64 string, got number',
    );
    expect(words({ segmenterMask: 'AgM=' }, { kind: 'none' })).toThrow(
      "header.outsideLexicon.segmenterMask marks words of the segmenter's dictionary, but header.segmenter has none (kind 'none')",
    );
    expect(words({ segmenterMask: btoa('\x02') })).toThrow(
      'header.outsideLexicon.segmenterMask holds 1 bytes, header.segmenter.words needs 2 (10 words)',
    );
    expect(words({ segmenterMask: btoa('\x00\x04') })).toThrow(
      'header.outsideLexicon.segmenterMask marks word 10, header.segmenter.words has 10',
    );
  });

  it('outsideLexiconOfHeader: the matcher when the channel is on, null when it is off', () => {
    const on = outsideLexiconOfHeader({
      architecture: { outsideLexDim: 4 },
      segmenter,
      outsideLexicon: { words: ['胆囊'] },
    });
    expect(on?.size).toBe(1);
    expect(outsideLexiconOfHeader({ architecture: {}, segmenter, outsideLexicon: { words: ['胆囊'] } })).toBeNull();
  });
});

describe('the outsideLex descriptor', () => {
  const base: Architecture = { charVocab: 10, charDim: 4, wordVocab: 8, wordDim: 3, lstm: [2], tags: 5, crf: true };
  const on = { ...base, outsideLexWords: 2, outsideLexDim: 3 };
  const view = (header: Record<string, unknown>, architecture: Architecture = on) => ({
    architecture,
    labels: ['O'],
    consistency: null,
    header: { segmenter: { kind: 'none' }, ...header },
  });

  it('a 16-row table of one id per token; both architecture fields or neither', () => {
    expect([OUTSIDE_LEX.rows(on), OUTSIDE_LEX.idsPerToken(on), OUTSIDE_LEX.idRange(on, 0)]).toEqual([16, 1, [0, 16]]);
    expect(() => checkOptionalChannels(on)).not.toThrow();
    expect(() => checkOptionalChannels({ ...base, outsideLexDim: 8 })).toThrow(
      'architecture: outsideLexWords and outsideLexDim must both be > 0 (a outsideLex channel) or both 0, got 0 and 8',
    );
    expect(() => checkOptionalChannels({ ...base, outsideLexDim: -1 })).toThrow(
      'architecture: outsideLexDim must be an integer ≥ 0, got -1',
    );
  });

  it('checkHeader: the list must be there, sound, and as long as the architecture says', () => {
    expect(OUTSIDE_LEX.checkHeader!(view({ outsideLexicon: { words: ['a', 'b'] } }))).toBeUndefined();
    expect(OUTSIDE_LEX.checkHeader!(view({}))).toBe(
      'the architecture has an outsideLex channel (outsideLexDim 3) but header.outsideLexicon, its word list, is missing',
    );
    expect(OUTSIDE_LEX.checkHeader!(view({ outsideLexicon: { words: ['a'] } }))).toBe(
      'architecture.outsideLexWords is 2, header.outsideLexicon holds 1 words',
    );
    expect(OUTSIDE_LEX.checkHeader!(view({ outsideLexicon: { segmenterMask: 'AA==' } }))).toBe(
      "header.outsideLexicon.segmenterMask marks words of the segmenter's dictionary, but header.segmenter has none (kind 'none')",
    );
  });
});

describe('config.outsideLexDim and config.outsideLexicon', () => {
  it('are off by default; a dimension needs a word list; a list needs a dimension; bad dimensions are refused', () => {
    const c = resolveConfig();
    expect([c.outsideLexDim, c.outsideLexicon]).toEqual([0, '']);
    expect(resolveConfig({ outsideLexDim: 16, segmenterLexicon: '/x/words.txt' }).outsideLexDim).toBe(16);
    expect(resolveConfig({ outsideLexDim: 16, outsideLexicon: '/x/words.txt' }).outsideLexicon).toBe('/x/words.txt');
    expect(() => resolveConfig({ outsideLexDim: 16 })).toThrow(
      'config: outsideLexDim 16 needs a word list: outsideLexicon or segmenterLexicon',
    );
    expect(() => resolveConfig({ outsideLexicon: '/x/words.txt' })).toThrow(
      'config: outsideLexicon names a word list but outsideLexDim is 0 (no outsideLex channel)',
    );
    expect(() => resolveConfig({ outsideLexDim: -1 })).toThrow(/^config: outsideLexDim: /);
    expect(() => resolveConfig({ outsideLexDim: 2.5 })).toThrow(/^config: outsideLexDim: /);
  });

  it('architectureFor adds the channel with the list size, and needs it', () => {
    const c = resolveConfig({ outsideLexDim: 16, segmenterLexicon: '/x/words.txt' });
    const sizes = { charVocab: 10, wordVocab: 8, tags: 5 };
    expect(architectureFor(c, { ...sizes, outsideLexWords: 42 })).toMatchObject({
      outsideLexWords: 42,
      outsideLexDim: 16,
    });
    expect(() => architectureFor(c, sizes)).toThrow(
      'architectureFor: outsideLexDim > 0 needs the outside word list (outsideLexWords ≥ 1)',
    );
    expect(architectureFor(resolveConfig(), sizes)).not.toHaveProperty('outsideLexDim');
  });
});
