/**
 * The character-bigram channel's features (src/features/vocab.ts): bigramAt (each token with the next, the last
 * with BIGRAM_END), createLookup's bigram table and featurize's bigramIds — ids, <unk>, the sentence end, astral
 * tokens, lookups without bigrams — and a randomised comparison with a plain implementation of the rule.
 */
import { describe, expect, it } from 'vitest';
import {
  BIGRAM_END, Lexicon, PAD, UNK, UNK_ID, bigramAt, buildVocab, createLookup, featurize, featurizeSentence,
} from '../../src/features/index.js';
import { Rng } from '../../src/train/rng.js';

describe('bigramAt', () => {
  it('is the token and the next one; the last token pairs with BIGRAM_END (U+0003)', () => {
    expect(BIGRAM_END).toBe('\u0003');
    const tokens = Array.from('右下腹痛');
    expect(tokens.map((_, t) => bigramAt(tokens, t))).toEqual(['右下', '下腹', '腹痛', `痛${BIGRAM_END}`]);
    expect(bigramAt(['a'], 0)).toBe('a\u0003');
    // every bigram of a sentence has two code points, the second the next token (or the end)
    for (let t = 0; t < tokens.length; t++) expect(Array.from(bigramAt(tokens, t))).toEqual([tokens[t], tokens[t + 1] ?? BIGRAM_END]);
  });

  it('tokens are code points: an astral token is one token (two UTF-16 units) in its bigrams', () => {
    const astral = '\u{20000}';
    const tokens = ['患', astral, '😷', 'b'];
    expect(bigramAt(tokens, 0)).toBe(`患${astral}`);
    expect(bigramAt(tokens, 1)).toBe(`${astral}😷`);
    expect(bigramAt(tokens, 2)).toBe('😷b');
    expect(bigramAt(tokens, 3)).toBe('b\u0003');
    expect(Array.from(bigramAt(tokens, 1))).toEqual([astral, '😷']);
    expect(bigramAt(tokens, 1).length).toBe(4);
  });

  it('does not look past the end of the tokens it is given (a window is its own sentence)', () => {
    const tokens = Array.from('腹痛');
    expect(bigramAt(tokens.slice(0, 1), 0)).toBe('腹\u0003');
    expect(bigramAt(tokens, 0)).toBe('腹痛');
  });
});

describe('createLookup with bigrams', () => {
  it('indexes vocab.bigrams like chars and words (<pad> 0, <unk> 1, then by position); no bigrams → no table', () => {
    const lookup = createLookup({ chars: ['<pad>', '<unk>', '腹'], words: ['<pad>', '<unk>'], bigrams: ['<pad>', '<unk>', '腹痛', '痛\u0003'] });
    expect(lookup.bigrams).toBeInstanceOf(Map);
    expect([...lookup.bigrams!]).toEqual([['腹痛', 2], ['痛\u0003', 3]]);
    // the specials are not looked up by name
    expect(lookup.bigrams!.has(PAD)).toBe(false);
    expect(lookup.bigrams!.has(UNK)).toBe(false);
    expect(createLookup({ chars: ['<pad>', '<unk>'], words: ['<pad>', '<unk>'] }).bigrams).toBeUndefined();
    // an empty table (only the specials) is a table
    expect(createLookup({ chars: ['<pad>', '<unk>'], words: ['<pad>', '<unk>'], bigrams: ['<pad>', '<unk>'] }).bigrams!.size).toBe(0);
  });

  it('refuses bigram lists that are not [<pad>, <unk>, distinct non-empty strings…]', () => {
    const base = { chars: ['<pad>', '<unk>'], words: ['<pad>', '<unk>'] };
    const bad = (bigrams: unknown) => () => createLookup({ ...base, bigrams: bigrams as string[] });
    expect(bad('腹痛')).toThrow(TypeError);
    expect(bad('腹痛')).toThrow(/vocabulary bigrams: expected an array of strings/);
    expect(bad(null)).toThrow(/vocabulary bigrams/);
    expect(bad([])).toThrow(RangeError);
    expect(bad(['<pad>'])).toThrow(/vocabulary bigrams: entries 0 and 1 must be '<pad>' and '<unk>'/);
    expect(bad(['<unk>', '<pad>', '腹痛'])).toThrow(/entries 0 and 1/);
    expect(bad(['<pad>', '<unk>', '腹痛', '腹痛'])).toThrow(/vocabulary bigrams\[3\] duplicates an earlier entry/);
    expect(bad(['<pad>', '<unk>', '腹痛', '<unk>'])).toThrow(/bigrams\[3\] duplicates/);
    expect(bad(['<pad>', '<unk>', ''])).toThrow(/vocabulary bigrams\[2\]: expected a non-empty string/);
    expect(bad(['<pad>', '<unk>', 7])).toThrow(TypeError);
  });
});

describe('featurize with bigrams', () => {
  const tokens = Array.from('右下腹痛');
  const words = ['右下腹', '痛'];
  const vocab = {
    chars: buildVocab(tokens),
    words: buildVocab(words),
    bigrams: ['<pad>', '<unk>', '腹痛', '右下', `痛${BIGRAM_END}`, '痛痛'],
  };
  const lookup = createLookup(vocab);

  it('bigramIds [T]: the id of bigramAt(tokens, t), unknown bigrams → <unk> (1), the last position with BIGRAM_END', () => {
    const f = featurize(tokens, words, lookup);
    // 右下 → 3, 下腹 (unknown) → 1, 腹痛 → 2, 痛␃ → 4
    expect(Array.from(f.bigramIds!)).toEqual([3, UNK_ID, 2, 4]);
    expect(f.bigramIds).toBeInstanceOf(Int32Array);
    // the last position is not '痛' + nothing, nor '痛痛': a sentence that ends in 痛 gets 痛␃
    expect(Array.from(featurize(['痛'], ['痛'], lookup).bigramIds!)).toEqual([4]);
    expect(Array.from(featurize(['痛', '痛'], ['痛', '痛'], lookup).bigramIds!)).toEqual([5, 4]);
    // ids never 0 for real tokens, also for a token that spells a special
    expect(Array.from(featurize(['<pad>'], ['<pad>'], lookup).bigramIds!)).toEqual([UNK_ID]);
    expect(featurize([], [], lookup).bigramIds).toEqual(new Int32Array(0));
  });

  it('the other features are what they are without bigrams; a lookup without bigrams gives no bigramIds', () => {
    const plainLookup = createLookup({ chars: vocab.chars, words: vocab.words });
    const plain = featurize(tokens, words, plainLookup);
    const f = featurize(tokens, words, lookup);
    expect(plain.bigramIds).toBeUndefined();
    expect('bigramIds' in plain).toBe(false);
    expect(f.charIds).toEqual(plain.charIds);
    expect(f.wordIds).toEqual(plain.wordIds);
    // with wordPositions and a lexicon, bigrams are still per token and the rest unchanged
    const lex = new Lexicon(['BODY']);
    lex.add('右下腹', 'BODY');
    const g = featurize(tokens, words, lookup, { wordPositions: true }, lex);
    expect(g.bigramIds).toEqual(f.bigramIds);
    expect(g.lexIds).toEqual(lex.match(tokens));
    expect(g.wordIds).toEqual(featurize(tokens, words, plainLookup, { wordPositions: true }).wordIds);
  });

  it('astral tokens: bigrams of code points, found when the table has them', () => {
    const astral = '\u{20000}';
    const toks = ['患', astral, '痛'];
    const lk = createLookup({ chars: buildVocab(toks), words: ['<pad>', '<unk>'], bigrams: ['<pad>', '<unk>', `${astral}痛`, `患${astral}`] });
    expect(Array.from(featurize(toks, toks, lk).bigramIds!)).toEqual([3, 2, UNK_ID]);
    // the two halves of the surrogate pair as separate tokens are other bigrams
    expect(Array.from(featurize(['患', astral[0], astral[1], '痛'], ['患', astral[0], astral[1], '痛'], lk).bigramIds!)).toEqual([1, 1, 1, 1]);
  });

  it('featurizeSentence passes the bigram table through (tagger and trainer share it)', () => {
    const cutter = { cut: (s: string) => (s === '右下腹痛' ? words : Array.from(s)) };
    expect(featurizeSentence(tokens, cutter, lookup).bigramIds).toEqual(featurize(tokens, words, lookup).bigramIds);
  });

  it('agrees with a plain implementation (string of tokens[t] and tokens[t + 1] or U+0003) on random sentences', () => {
    const rng = new Rng(17);
    const alphabet = ['a', 'b', '腹', '痛', '\u{20001}'];
    const all: string[] = [];
    for (const x of alphabet) for (const y of [...alphabet, '\u0003']) all.push(x + y);
    for (let trial = 0; trial < 100; trial++) {
      const known = all.filter(() => rng.uniform(0, 1) < 0.5);
      const lk = createLookup({ chars: ['<pad>', '<unk>'], words: ['<pad>', '<unk>'], bigrams: ['<pad>', '<unk>', ...known] });
      const toks = Array.from({ length: 1 + rng.int(10) }, () => alphabet[rng.int(alphabet.length)]);
      const want = toks.map((tok, t) => {
        const b = tok + (t === toks.length - 1 ? '\u0003' : toks[t + 1]);
        const i = known.indexOf(b);
        return i < 0 ? 1 : i + 2;
      });
      expect(Array.from(featurize(toks, toks, lk).bigramIds!), `trial ${trial}`).toEqual(want);
    }
  });
});
