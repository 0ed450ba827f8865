/**
 * validateSegmenterSpec (src/segment/spec.ts) finds lone surrogates with one regex over the joined words instead of
 * a loop over every code unit (a cold-start cost): these pin that it still names the first bad word in index
 * order, sees a surrogate pair split across two neighbouring words as two lone halves, and accepts pairs.
 */
import { describe, expect, it } from 'vitest';
import { validateSegmenterSpec } from '../../src/segment/index.js';

const spec = (words: unknown[], freqs: unknown[] = words.map(() => 5)) => ({
  kind: 'dict',
  variant: 'jieba',
  total: 100,
  words,
  freqs,
});
const problem = (s: object): string => {
  try {
    validateSegmenterSpec(s);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('validateSegmenterSpec: lone surrogates', () => {
  it('accepts surrogate pairs anywhere in a word, and words of astral characters only', () => {
    expect(problem(spec(['a😀', '上😀下', '😀', '😀😀']))).toBe('ok');
  });

  it('sees a pair split across neighbouring words as lone halves (the words are not one string)', () => {
    // '\ud83d' ends words[0] and '\ude00' starts words[1]: joined without a separator they would read as 😀
    expect(problem(spec(['a\ud83d', '\ude00b']))).toBe('segmenter spec: words[0] contains a lone surrogate');
    expect(problem(spec(['a', '\ude00b']))).toBe('segmenter spec: words[1] contains a lone surrogate');
    expect(problem(spec(['上', '下\ud83d']))).toBe('segmenter spec: words[1] contains a lone surrogate');
  });

  it("reports the first problem in index order, a word's own lone surrogate before its order or frequency", () => {
    // lone surrogate at 1, order broken at 3: the surrogate comes first
    expect(problem(spec(['a', 'b\ud800', 'c', 'b']))).toBe('segmenter spec: words[1] contains a lone surrogate');
    // order broken at 1, lone surrogate at 3: the order comes first
    expect(problem(spec(['b', 'a', 'c', 'd\udc00']))).toMatch(/words\[1\] is not after words\[0\]/);
    // the same word is out of order and has a lone surrogate: the surrogate is named
    expect(problem(spec(['b', 'a\ud800']))).toBe('segmenter spec: words[1] contains a lone surrogate');
    // a bad frequency at 0 comes before a lone surrogate at 2
    expect(problem(spec(['a', 'b', 'c\ud800'], [0, 5, 5]))).toMatch(/freqs\[0\]/);
    // a non-string at 2 after a lone surrogate at 1: the surrogate first; before it: the non-string first
    expect(problem(spec(['a', 'b\udc00', 7]))).toBe('segmenter spec: words[1] contains a lone surrogate');
    expect(problem(spec(['a', 7, 'b\udc00']))).toMatch(/words\[1\] to be a non-empty string, got number/);
  });
});
