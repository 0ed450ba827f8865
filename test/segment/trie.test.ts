/**
 * CodeUnitTrie.fromSorted (lazily built from a sorted word list) against the trie built word by word with set():
 * every lookup, every walk and every cut must be identical, before and after words are added, whatever order
 * the first code units are touched in.
 */
import { describe, expect, it } from 'vitest';
import { CodeUnitTrie, JiebaDictionary, createSegmenter } from '../../src/segment/index.js';
import { sortedTrieOfCheckedWords } from '../../src/segment/trie.js';
import { buildSegmenterSpec } from '../../src/train/segdict.js';
import { seededRandom } from './data.js';
import { FIXTURES } from './fixtures.js';

const byUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function eager(words: readonly string[], freqs: readonly number[]): CodeUnitTrie {
  const t = new CodeUnitTrie(16); // small on purpose: grows while inserting
  for (let i = 0; i < words.length; i++) t.set(words[i], freqs[i]);
  return t;
}

/** Every node reachable from the root along `units`, with its frequency and log-frequency. */
function walk(t: CodeUnitTrie, text: string, start: number): string {
  const out: string[] = [];
  let node = 0;
  for (let k = start; k < text.length; k++) {
    node = t.child(node, text.charCodeAt(k));
    if (node < 0) break;
    out.push(`${k}:${t.nodeFreq(node)}:${t.nodeFreq(node) > 0 ? t.nodeLogFreq(node) : 0}`);
  }
  return out.join(' ');
}

/** A dictionary with shared prefixes, long words (> 16 units), surrogate pairs and ASCII. */
function syntheticWords(seed: number, n: number): { words: string[]; freqs: number[] } {
  const rnd = seededRandom(seed);
  const alphabet = ['上', '腹', '部', '痛', '患', '者', '中', '国', 'a', 'b', '1', '𠀀', '𪜀', '😀', 'é', '\u3000'];
  const set = new Set<string>();
  while (set.size < n) {
    const len = rnd() < 0.05 ? 17 + Math.floor(rnd() * 30) : 1 + Math.floor(rnd() * 5);
    let w = '';
    for (let k = 0; k < len; k++) w += alphabet[Math.floor(rnd() * alphabet.length)];
    set.add(w);
  }
  const words = [...set].sort(byUnits);
  return { words, freqs: words.map(() => 1 + Math.floor(rnd() * 1000)) };
}

describe('CodeUnitTrie.fromSorted', () => {
  const { words, freqs } = syntheticWords(5, 3000);

  it('answers every lookup and every walk like the trie built with set(), in any order of first use', () => {
    const rnd = seededRandom(8);
    const probes = [...words, ...words.map((w) => w.slice(0, -1)), ...words.map((w) => `${w}上`), '', 'x', '𠀀𠀀𠀀', '\ud840'];
    for (let trial = 0; trial < 3; trial++) {
      const lazy = CodeUnitTrie.fromSorted(words, freqs);
      const full = eager(words, freqs);
      expect(lazy.size).toBe(words.length);
      const order = [...probes].sort(() => rnd() - 0.5);
      for (const p of order) {
        expect(lazy.get(p), p).toBe(full.get(p));
        expect(walk(lazy, p, 0), p).toBe(walk(full, p, 0));
      }
      expect(lazy.size).toBe(full.size);
    }
  });

  it('sortedTrieOfCheckedWords (the segmenter\'s path, input already validated) builds the same trie', () => {
    const a = sortedTrieOfCheckedWords(words, freqs);
    const full = eager(words, freqs);
    expect(a.size).toBe(words.length);
    for (const p of [...words, ...words.map((w) => `${w}a`)]) {
      expect(a.get(p), p).toBe(full.get(p));
      expect(walk(a, p, 0), p).toBe(walk(full, p, 0));
    }
    // a token other than the module's own does not skip the checks
    expect(() => CodeUnitTrie.fromSorted(['b', 'a'], [1, 1], Symbol('checked') as never)).toThrow(/sorted/);
  });

  it('set() before and after a first code unit is used: same previous values, sizes and lookups', () => {
    const lazy = CodeUnitTrie.fromSorted(words, freqs);
    const full = eager(words, freqs);
    const edits: Array<[string, number]> = [
      [words[10], 5], // an existing word whose first unit was never touched
      [`${words[20]}部`, 7], // a new word under an untouched unit
      ['新词', 3], // a unit the dictionary lacks
      [words[10], 0], // removal
      [words[500], 9],
      [words[500].slice(0, 1), 2],
    ];
    for (const [w, f] of edits) {
      expect(lazy.set(w, f), w).toBe(full.set(w, f));
      expect(lazy.size).toBe(full.size);
    }
    for (const p of [...words, ...edits.map(([w]) => w)]) expect(lazy.get(p), p).toBe(full.get(p));
  });

  it('copies its input: later changes to the arrays do not reach the trie', () => {
    const w = words.slice();
    const f = freqs.slice();
    const lazy = CodeUnitTrie.fromSorted(w, f);
    w.reverse();
    f.fill(1);
    for (let i = 0; i < words.length; i += 7) expect(lazy.get(words[i])).toBe(freqs[i]);
  });

  it('an empty word list is an empty trie', () => {
    const t = CodeUnitTrie.fromSorted([], []);
    expect(t.size).toBe(0);
    expect(t.get('上')).toBe(0);
    expect(t.set('上', 2)).toBe(0);
    expect(t.get('上')).toBe(2);
  });

  it('refuses unsorted or duplicate words, empty or non-string words, bad frequencies, mismatched lengths', () => {
    expect(() => CodeUnitTrie.fromSorted(['b', 'a'], [1, 1])).toThrow(/sorted/);
    expect(() => CodeUnitTrie.fromSorted(['a', 'a'], [1, 1])).toThrow(/words\[1\]/);
    expect(() => CodeUnitTrie.fromSorted(['', 'a'], [1, 1])).toThrow(/non-empty/);
    expect(() => CodeUnitTrie.fromSorted(['a', 3 as unknown as string], [1, 1])).toThrow(TypeError);
    for (const f of [0, -1, NaN, Infinity, '5' as unknown as number, null as unknown as number]) {
      expect(() => CodeUnitTrie.fromSorted(['a', 'b'], [1, f]), String(f)).toThrow(/freqs\[1\]/);
    }
    expect(() => CodeUnitTrie.fromSorted(['a', 'b'], [1])).toThrow(/as many freqs/);
    expect(() => CodeUnitTrie.fromSorted('ab' as unknown as string[], [1, 1])).toThrow(TypeError);
    expect(() => CodeUnitTrie.fromSorted(['a'], null as unknown as number[])).toThrow(TypeError);
  });
});

describe('segmentation with the lazily built dictionary is bit-identical to the eagerly built one', () => {
  const spec = buildSegmenterSpec({ variant: 'jieba', texts: [], prune: false }).spec;
  if (spec.kind !== 'dict') throw new Error('expected a dict spec');

  it('cutEnds on the fixtures and 3,000 seeded random strings, and suggestFreq', () => {
    const lazy = new JiebaDictionary(CodeUnitTrie.fromSorted(spec.words, spec.freqs), spec.total);
    const full = new JiebaDictionary(eager(spec.words, spec.freqs), spec.total);
    const segmenter = createSegmenter(spec);
    const rnd = seededRandom(31);
    const pieces = ['的', '上', '腹', '部', '压', '痛', '患者', '网球拍卖会', '中国科学院', 'C++', 'B超', '1.5cm', ' ', '\r\n', '，', '😀', '𠀀', '\ud800'];
    const texts = [...FIXTURES];
    for (let i = 0; i < 3000; i++) {
      let t = '';
      const n = 1 + Math.floor(rnd() * 15);
      for (let k = 0; k < n; k++) t += pieces[Math.floor(rnd() * pieces.length)];
      texts.push(t);
    }
    for (const text of texts) {
      const want = full.cutEnds(text);
      expect(lazy.cutEnds(text), text).toEqual(want);
      expect(segmenter.cutEnds(text), text).toEqual(want);
    }
    for (const s of ['上腹部', '网球拍卖会', '右下腹压痛']) expect(lazy.suggestFreq(s)).toBe(full.suggestFreq(s));
    lazy.setFreq('上腹部', 100);
    full.setFreq('上腹部', 100);
    expect(lazy.total).toBe(full.total);
    expect(lazy.cutEnds('患者上腹部疼痛')).toEqual(full.cutEnds('患者上腹部疼痛'));
  });
});
