/**
 * The entity-lexicon channel's matcher (src/features/lexicon.ts): positions, longest match, greedy
 * left-to-right per type, independent types, code-point tokens, fromEntries, size and input checks — and a
 * randomised comparison with a plain string-set implementation of the documented rule.
 */
import { describe, expect, it } from 'vitest';
import { LEX_B, LEX_E, LEX_I, LEX_NONE, LEX_POSITIONS, LEX_S, Lexicon, greedyMatches } from '../../src/features/lexicon.js';
import { buildVocab, createLookup, featurize, featurizeSentence } from '../../src/features/index.js';
import { Rng } from '../../src/train/rng.js';

const POS = ['-', 'B', 'I', 'E', 'S'];

/** Positions of one type as a string, one letter per token ('-' = NONE), checking the id's type block. */
function row(ids: Int32Array, T: number, K: number, k: number): string {
  expect(ids.length).toBe(T * K);
  let s = '';
  for (let t = 0; t < T; t++) {
    const id = ids[t * K + k];
    expect(Math.floor(id / LEX_POSITIONS), `type block of (t ${t}, k ${k})`).toBe(k);
    s += POS[id % LEX_POSITIONS];
  }
  return s;
}

/** The rows of every type of a sentence given as a string (one code point per token). */
function rows(lex: Lexicon, text: string): string[] {
  const tokens = Array.from(text);
  const ids = lex.match(tokens);
  return lex.types.map((_, k) => row(ids, tokens.length, lex.types.length, k));
}

function lexicon(types: string[], pairs: [string, string][]): Lexicon {
  const lex = new Lexicon(types);
  for (const [text, type] of pairs) lex.add(text, type);
  return lex;
}

describe('Lexicon.match', () => {
  it('the documented constants', () => {
    expect([LEX_NONE, LEX_B, LEX_I, LEX_E, LEX_S, LEX_POSITIONS]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('B/I/E/S positions and id = 5k + position, row-major [T × K]', () => {
    const lex = lexicon(['BODY', 'SIGNS'], [['腹', 'BODY'], ['腹部', 'SIGNS'], ['右下腹', 'SIGNS'], ['右下腹部', 'BODY']]);
    //                 右 下 腹 部 痛 腹
    expect(rows(lex, '右下腹部痛腹')).toEqual(['BIIE-S', 'BIE---']);
    const ids = lex.match(Array.from('右下腹部痛腹'));
    expect(Array.from(ids)).toEqual([
      0 + LEX_B, 5 + LEX_B, //   右
      0 + LEX_I, 5 + LEX_I, //   下
      0 + LEX_I, 5 + LEX_E, //   腹
      0 + LEX_E, 5 + LEX_NONE, // 部
      0 + LEX_NONE, 5 + LEX_NONE, // 痛
      0 + LEX_S, 5 + LEX_NONE, // 腹
    ]);
    // a one-token match is S, a two-token one B E, longer ones B I… E
    const one = lexicon(['X'], [['a', 'X'], ['bc', 'X'], ['def', 'X'], ['ghij', 'X']]);
    expect(rows(one, 'a.bc.def.ghij')).toEqual(['S-BE-BIE-BIIE']);
  });

  it('the longest match wins at a start position', () => {
    const lex = lexicon(['X'], [['腹', 'X'], ['腹部', 'X'], ['腹部压', 'X']]);
    expect(rows(lex, '腹部压')).toEqual(['BIE']);
    expect(rows(lex, '腹部痛')).toEqual(['BE-']);
    expect(rows(lex, '腹痛')).toEqual(['S-']);
    // a longer string that does not complete leaves the shorter match
    const lex2 = lexicon(['X'], [['ab', 'X'], ['abcd', 'X']]);
    expect(rows(lex2, 'abce')).toEqual(['BE--']);
    expect(rows(lex2, 'abcd')).toEqual(['BIIE']);
  });

  it('greedy from the left, matches of one type never overlap; matching resumes right after a match', () => {
    // 'ab' starts first and wins over 'bcde' even though 'bcde' would cover more
    const lex = lexicon(['X'], [['ab', 'X'], ['bcde', 'X']]);
    expect(rows(lex, 'abcde')).toEqual(['BE---']);
    expect(rows(lex, 'xbcde')).toEqual(['-BIIE']);
    // adjacent matches
    expect(rows(lexicon(['X'], [['ab', 'X']]), 'ababab')).toEqual(['BEBEBE']);
    expect(rows(lexicon(['X'], [['a', 'X']]), 'aaa')).toEqual(['SSS']);
    // 'aa' over 'aaa': B E then S
    expect(rows(lexicon(['X'], [['a', 'X'], ['aa', 'X']]), 'aaa')).toEqual(['BES']);
  });

  it('types are matched independently: one string under two types marks both slots, overlaps across types are kept', () => {
    const lex = lexicon(['BODY', 'SIGNS', 'CHECK'], [['压痛', 'BODY'], ['压痛', 'SIGNS'], ['腹部', 'BODY'], ['部压痛', 'SIGNS']]);
    expect(rows(lex, '压痛')).toEqual(['BE', 'BE', '--']);
    // BODY takes 腹部 then 压痛; SIGNS, on its own, takes 部压痛
    expect(rows(lex, '腹部压痛')).toEqual(['BEBE', '-BIE', '----']);
  });

  it('tokens are strings: an astral code point is one token, and a string is added per code point', () => {
    const astral = '\u{20000}'; // CJK Extension B, two UTF-16 units
    const emoji = '😷';
    const lex = lexicon(['X', 'Y'], [[`${astral}痛`, 'X'], [emoji, 'Y'], [`a${emoji}b`, 'X']]);
    expect(astral.length).toBe(2);
    const tokens = [astral, '痛', emoji, 'a', emoji, 'b'];
    const ids = lex.match(tokens);
    expect(row(ids, 6, 2, 0)).toBe('BE-BIE');
    expect(row(ids, 6, 2, 1)).toBe('--S-S-');
    // the two halves of a surrogate pair as separate tokens are not the code point
    expect(row(lex.match([astral[0], astral[1], '痛']), 3, 2, 0)).toBe('---');
  });

  it('empty sentences, sentences without any match, and a lexicon without strings', () => {
    const lex = lexicon(['X', 'Y'], [['ab', 'X']]);
    expect(lex.match([])).toEqual(new Int32Array(0));
    expect(Array.from(lex.match(['c', 'd']))).toEqual([0, 5, 0, 5]);
    expect(Array.from(new Lexicon(['X']).match(['a', 'b']))).toEqual([0, 0]);
  });

  it('the 30th type (bit 29 of the trie node) matches like the first', () => {
    const types = Array.from({ length: 30 }, (_, i) => `T${i}`);
    const lex = lexicon(types, [['ab', 'T29'], ['b', 'T0']]);
    const ids = lex.match(['a', 'b']);
    expect(ids[0 * 30 + 29]).toBe(5 * 29 + LEX_B);
    expect(ids[1 * 30 + 29]).toBe(5 * 29 + LEX_E);
    expect(ids[1 * 30 + 0]).toBe(LEX_S);
    for (let k = 1; k < 29; k++) expect(ids[k]).toBe(5 * k);
  });

  it('agrees with a plain string-set implementation of the documented rule on random lexicons', () => {
    const rng = new Rng(42);
    const alphabet = ['a', 'b', 'c', '\u{20001}'];
    const word = (max: number) => Array.from({ length: 1 + rng.int(max) }, () => alphabet[rng.int(alphabet.length)]);
    for (let trial = 0; trial < 200; trial++) {
      const types = ['X', 'Y', 'Z'].slice(0, 1 + rng.int(3));
      const sets = types.map(() => new Set<string>());
      const lex = new Lexicon(types);
      const n = rng.int(6);
      for (let i = 0; i < n; i++) {
        const w = word(4).join('');
        const k = rng.int(types.length);
        lex.add(w, types[k]);
        sets[k].add(w);
      }
      const tokens = word(12);
      const T = tokens.length;
      const K = types.length;
      const want = new Int32Array(T * K);
      sets.forEach((set, k) => {
        let t = 0;
        while (t < T) {
          let L = 0;
          for (let j = t + 1; j <= T; j++) if (set.has(tokens.slice(t, j).join(''))) L = j - t;
          if (L === 0) {
            want[t * K + k] = 5 * k;
            t++;
            continue;
          }
          for (let j = t; j < t + L; j++) want[j * K + k] = 5 * k + (L === 1 ? 4 : j === t ? 1 : j === t + L - 1 ? 3 : 2);
          t += L;
        }
      });
      expect(Array.from(lex.match(tokens)), `trial ${trial}`).toEqual(Array.from(want));
      expect(lex.size).toBe(sets.reduce((s, x) => s + x.size, 0));
    }
  });
});

describe('greedyMatches (the rule the lexicon channel and the feature CRF gazetteer share)', () => {
  it('per type, left to right, each match marked B I… E or S; a match swallows the starts inside it', () => {
    // T = 6, K = 2. type 0: matches of 3 at 0 (one of 2 at 1 is inside it), 1 at 4; type 1: 2 at 3
    const longest = Int32Array.from([3, 2, 0, 0, 1, 0, /* type 1 */ 0, 0, 0, 2, 0, 0]);
    const marks: [number, number, number][] = [];
    greedyMatches(longest, 2, 6, (t, k, p) => marks.push([t, k, p]));
    expect(marks).toEqual([[0, 0, LEX_B], [1, 0, LEX_I], [2, 0, LEX_E], [4, 0, LEX_S], [3, 1, LEX_B], [4, 1, LEX_E]]);
    expect(() => greedyMatches(longest, 2, 5, () => {})).toThrow(/longest holds 12 entries, expected K·T = 10/);
  });
});

describe('Lexicon.add, fromEntries, size', () => {
  it('size counts distinct (string, type) pairs', () => {
    const lex = new Lexicon(['BODY', 'SIGNS']);
    expect(lex.size).toBe(0);
    lex.add('腹部', 'BODY');
    lex.add('腹部', 'BODY');
    expect(lex.size).toBe(1);
    lex.add('腹部', 'SIGNS');
    expect(lex.size).toBe(2);
    lex.add('腹', 'BODY'); // a prefix of an existing string is a new pair
    lex.add('腹部压痛', 'BODY'); // so is an extension
    expect(lex.size).toBe(4);
  });

  it('unknown types and empty strings are ignored', () => {
    const lex = new Lexicon(['BODY']);
    lex.add('腹部', 'DRUG');
    lex.add('', 'BODY');
    lex.add('腹部', 'body');
    expect(lex.size).toBe(0);
    expect(Array.from(lex.match(Array.from('腹部')))).toEqual([0, 0]);
  });

  it('fromEntries adds every (string, type) of a consistency table, keeps the given type order, skips other types', () => {
    const entries = {
      腹部: { BODY: 3, SIGNS: 1 },
      头痛: { SIGNS: 2 },
      阿司匹林: { DRUG: 4 },
      CT: { CHECK: 1, BODY: 1 },
    };
    const lex = Lexicon.fromEntries(['SIGNS', 'BODY'], entries);
    expect(lex.types).toEqual(['SIGNS', 'BODY']);
    expect(lex.size).toBe(4); // 腹部×2, 头痛, CT/BODY
    expect(rows(lex, '腹部头痛阿司匹林CT')).toEqual(['BEBE------', 'BE------BE']);
    expect(Lexicon.fromEntries(['X'], {}).size).toBe(0);
  });

  it('keeps its own copy of the type list', () => {
    const types = ['BODY', 'SIGNS'];
    const lex = new Lexicon(types);
    types[0] = 'OTHER';
    lex.add('腹', 'BODY');
    expect(lex.types).toEqual(['BODY', 'SIGNS']);
    expect(lex.size).toBe(1);
  });

  it('refuses bad input with errors that say what was expected', () => {
    expect(() => new Lexicon([])).toThrow(TypeError);
    expect(() => new Lexicon([])).toThrow(/non-empty array of type names/);
    expect(() => new Lexicon('BODY' as unknown as string[])).toThrow(TypeError);
    expect(() => new Lexicon(['BODY', ''])).toThrow(TypeError);
    expect(() => new Lexicon(['BODY', 3 as unknown as string])).toThrow(TypeError);
    expect(() => new Lexicon(['BODY', 'BODY'])).toThrow(RangeError);
    expect(() => new Lexicon(['BODY', 'BODY'])).toThrow(/duplicate/);
    expect(() => new Lexicon(Array.from({ length: 31 }, (_, i) => `T${i}`))).toThrow(/at most 30 types, got 31/);
    expect(new Lexicon(Array.from({ length: 30 }, (_, i) => `T${i}`)).types).toHaveLength(30);
    const lex = new Lexicon(['BODY']);
    expect(() => lex.add(5 as unknown as string, 'BODY')).toThrow(/text must be a string, got number/);
    expect(() => lex.add(null as unknown as string, 'BODY')).toThrow(TypeError);
    expect(() => lex.match('腹部' as unknown as string[])).toThrow(/tokens must be an array of strings/);
    expect(() => lex.match(null as unknown as string[])).toThrow(TypeError);
  });
});

describe('featurize with a lexicon', () => {
  const tokens = Array.from('右下腹部压痛');
  const lookup = createLookup({ chars: buildVocab(tokens), words: buildVocab(['右下腹', '部', '压痛']) });
  const lex = lexicon(['BODY', 'SIGNS'], [['右下腹部', 'BODY'], ['压痛', 'SIGNS']]);

  it('adds lexIds = lexicon.match(tokens); without a lexicon there are none', () => {
    const f = featurize(tokens, ['右下腹', '部', '压痛'], lookup, {}, lex);
    expect(f.lexIds).toEqual(lex.match(tokens));
    expect(Array.from(f.lexIds!)).toEqual([1, 5, 2, 5, 2, 5, 3, 5, 0, 6, 0, 8]);
    const plain = featurize(tokens, ['右下腹', '部', '压痛'], lookup);
    expect(plain.lexIds).toBeUndefined();
    expect(plain.charIds).toEqual(f.charIds);
    expect(plain.wordIds).toEqual(f.wordIds);
    expect(featurize(tokens, ['右下腹', '部', '压痛'], lookup, {}, null).lexIds).toBeUndefined();
  });

  it('featurizeSentence passes the lexicon through', () => {
    const cutter = { cut: (s: string) => ['右下腹', '部', '压痛'].join('') === s ? ['右下腹', '部', '压痛'] : Array.from(s) };
    expect(featurizeSentence(tokens, cutter, lookup, {}, lex).lexIds).toEqual(lex.match(tokens));
  });

  it('refuses a lexicon that is not a Lexicon', () => {
    expect(() => featurize(tokens, ['右下腹', '部', '压痛'], lookup, {}, { match: () => new Int32Array(12) } as unknown as Lexicon)).toThrow(
      /lexicon must be a Lexicon or null/,
    );
  });
});
