import { describe, expect, it } from 'vitest';
import { StringIndex, buildVocab, createLookup, featurize, UNK_ID } from '../../src/features/index.js';

describe('buildVocab', () => {
  it('puts <pad>, <unk> first, then tokens by count and code units', () => {
    expect(buildVocab(['b', 'a', 'c', 'a', 'b', 'a', 'd'])).toEqual(['<pad>', '<unk>', 'a', 'b', 'c', 'd']);
  });
  it('applies minCount and maxSize (which counts the two specials)', () => {
    const toks = ['x', 'x', 'x', 'y', 'y', 'z'];
    expect(buildVocab(toks, { minCount: 2 })).toEqual(['<pad>', '<unk>', 'x', 'y']);
    expect(buildVocab(toks, { maxSize: 3 })).toEqual(['<pad>', '<unk>', 'x']);
    expect(buildVocab([], {})).toEqual(['<pad>', '<unk>']);
  });
  it('never adds the specials or empty strings as tokens', () => {
    expect(buildVocab(['<pad>', '<unk>', '', 'a'])).toEqual(['<pad>', '<unk>', 'a']);
  });
  it('refuses bad options and non-strings', () => {
    expect(() => buildVocab(['a'], { minCount: 0 })).toThrow(/minCount/);
    expect(() => buildVocab(['a'], { maxSize: 1 })).toThrow(/maxSize/);
    expect(() => buildVocab([1 as unknown as string])).toThrow(/token 0/);
    expect(() => buildVocab(3 as unknown as string[])).toThrow(TypeError);
  });
});

describe('featurize', () => {
  const lookup = createLookup({
    chars: ['<pad>', '<unk>', '右', '下', '腹', '痛', '😀'],
    words: ['<pad>', '<unk>', '右下腹', '痛', '<pad>x'],
  });

  it('gives each character its char id and the id of the word containing it', () => {
    const f = featurize(['右', '下', '腹', '痛', '吗'], ['右下腹', '痛', '吗'], lookup);
    expect([...f.charIds]).toEqual([2, 3, 4, 5, UNK_ID]);
    expect([...f.wordIds]).toEqual([2, 2, 2, 3, UNK_ID]);
  });

  it('counts a surrogate pair as one position', () => {
    const f = featurize(['😀', '痛'], ['😀痛'], lookup);
    expect([...f.charIds]).toEqual([6, 5]);
    expect([...f.wordIds]).toEqual([UNK_ID, UNK_ID]);
  });

  it('never maps a token spelled like a special to a special id', () => {
    const f = featurize(Array.from('<pad>'), ['<pad>'], lookup);
    expect([...f.wordIds]).toEqual([UNK_ID, UNK_ID, UNK_ID, UNK_ID, UNK_ID]);
  });

  it('refuses words that do not concatenate to the tokens', () => {
    expect(() => featurize(['右', '下'], ['右'], lookup)).toThrow(/cover 1 of 2/);
    expect(() => featurize(['右', '下'], ['右下腹'], lookup)).toThrow(/do not concatenate/);
    expect(() => featurize(['右', '下'], ['下右'], lookup)).toThrow(/do not concatenate/);
  });

  it('gives the same ids from the one-unit table as from the chars map alone (one unit, pairs, longer tokens, unknown)', () => {
    const chars = ['<pad>', '<unk>', '右', '下', 'a', '😀', '𠀀', 'ab', '\ufffd', ' '];
    const full = createLookup({ chars, words: ['<pad>', '<unk>', '右下', 'ab'] });
    expect(full.unitChars).toHaveLength(0x10000);
    const mapOnly = { chars: full.chars, words: full.words }; // no table: every token through the map
    const tokens = ['右', '下', '左', 'a', 'b', '😀', '𠀀', '🀄', 'ab', '\ufffd', ' ', '\u0000', '\uffff'];
    const words = ['右下', '左', 'a', 'b', '😀𠀀', '🀄', 'ab', '\ufffd', ' ', '\u0000', '\uffff'];
    const a = featurize(tokens, words, full);
    const b = featurize(tokens, words, mapOnly);
    expect([...a.charIds]).toEqual([...b.charIds]);
    expect([...a.charIds]).toEqual([2, 3, UNK_ID, 4, UNK_ID, 5, 6, UNK_ID, 7, 8, 9, UNK_ID, UNK_ID]);
    expect([...a.wordIds]).toEqual([...b.wordIds]);
    expect([...a.wordIds]).toEqual([2, 2, UNK_ID, UNK_ID, UNK_ID, UNK_ID, UNK_ID, UNK_ID, 3, UNK_ID, UNK_ID, UNK_ID, UNK_ID]);
    // the walk of the words over the tokens still catches a word that differs in one unit or in a pair's half
    expect(() => featurize(['右', '下'], ['右上'], full)).toThrow(/do not concatenate/);
    expect(() => featurize(['😀'], ['\ud83d\ude01'], full)).toThrow(/do not concatenate/);
  });

  it('finds words through the packed index exactly as through the map (members, non-members, prefixes, pairs)', () => {
    const words = ['<pad>', '<unk>', '右下腹', '右下', '右', '痛', 'ab', 'a', '😀', '😀痛', '\ud800', 'x'.repeat(40)];
    for (let i = 0; i < 500; i++) words.push(`w${i}`, String.fromCharCode(0x4e00 + i, 0x4e00 + ((i * 7) % 500)));
    const full = createLookup({ chars: ['<pad>', '<unk>'], words });
    const index = full.wordIndex as StringIndex;
    const probes = [...words.slice(2), '', '右下腹痛', '下', 'b', 'abc', '😁', '\udc00', 'x'.repeat(39), 'w500', '<pad>', '<unk>'];
    for (const p of probes) if (index.get(p) !== full.words.get(p)) expect(index.get(p), JSON.stringify(p)).toBe(full.words.get(p));
    expect(index.get('右下')).toBe(3);
    expect(index.get('下')).toBeUndefined();
    const mapOnly = { chars: full.chars, words: full.words };
    const tokens = Array.from('右下腹痛ab😀痛w1');
    const cut = ['右下腹', '痛', 'ab', '😀痛', 'w1'];
    expect([...featurize(tokens, cut, full).wordIds]).toEqual([...featurize(tokens, cut, mapOnly).wordIds]);
    expect(new StringIndex(new Map()).get('a')).toBeUndefined();
  });

  it('refuses a malformed vocabulary', () => {
    expect(() => createLookup({ chars: ['<unk>', '<pad>'], words: ['<pad>', '<unk>'] })).toThrow(/entries 0 and 1/);
    expect(() => createLookup({ chars: ['<pad>', '<unk>', 'a', 'a'], words: ['<pad>', '<unk>'] })).toThrow(/duplicates/);
  });
});
