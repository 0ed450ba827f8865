/**
 * Hand-made sparse features per character position (CRF++-style templates), the training-entity
 * gazetteer, and the feature dictionary that maps feature strings to ids.
 *
 * Templates at position t (C[k] = the character at t+k, padded with boundary markers):
 *   U-2..U2   unigrams C[-2] … C[2]
 *   B-21 B-10 B01 B12   bigrams C[-2]C[-1], C[-1]C[0], C[0]C[1], C[1]C[2]
 *   T-101     trigram C[-1]C[0]C[1]
 *   K0, K-101 character class of C[0]; classes of C[-1]C[0]C[1]
 *   G:<p>-<X> gazetteer: position p ∈ {B, I, E, S} of a longest match of a type-X training entity string
 *   W:<p>     word boundary: position p ∈ {B, M, E, S} in the segmenter's word (only with a segmenter)
 *   W:<p>:<c> the same joined with C[0]
 *   BIAS      always on
 */

import { LEX_B, LEX_E, LEX_I, LEX_S, greedyMatches } from '../../src/features/lexicon.js';

/** Feature letter of each match position greedyMatches reports. */
const POSITION_LETTER: Record<number, string> = { [LEX_B]: 'B', [LEX_I]: 'I', [LEX_E]: 'E', [LEX_S]: 'S' };

export type CharClass = 'CJK' | 'DIGIT' | 'LATIN' | 'PUNCT' | 'SPACE' | 'OTHER';

/** Character class of one UTF-16 code unit (fullwidth digits and letters count as digits and letters). */
export function charClass(code: number): CharClass {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0xff10 && code <= 0xff19)) return 'DIGIT';
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return 'LATIN';
  if ((code >= 0xff21 && code <= 0xff3a) || (code >= 0xff41 && code <= 0xff5a)) return 'LATIN';
  if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || (code >= 0xf900 && code <= 0xfaff)) {
    return 'CJK';
  }
  if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x3000 || code === 0xa0) return 'SPACE';
  if (
    (code >= 0x21 && code <= 0x2f) ||
    (code >= 0x3a && code <= 0x40) ||
    (code >= 0x5b && code <= 0x60) ||
    (code >= 0x7b && code <= 0x7e) ||
    (code >= 0x3000 && code <= 0x303f) || // CJK symbols and punctuation
    (code >= 0xff01 && code <= 0xff0f) ||
    (code >= 0xff1a && code <= 0xff20) ||
    (code >= 0xff3b && code <= 0xff40) ||
    (code >= 0xff5b && code <= 0xff65) ||
    (code >= 0x2010 && code <= 0x206f) // general punctuation (dashes, quotes, …)
  ) {
    return 'PUNCT';
  }
  return 'OTHER';
}

interface TrieNode {
  next: Map<number, TrieNode>;
  /** type ids of gazetteer strings ending here */
  types: number[];
}

/**
 * Training entity strings per type, matched greedily left to right with the longest string of each
 * type (types independently), giving B-/I-/E-/S- positions per type.
 */
export class Gazetteer {
  readonly types: string[];
  private readonly root: TrieNode = { next: new Map(), types: [] };
  private readonly typeIndex = new Map<string, number>();
  private count = 0;

  constructor(types: string[]) {
    this.types = [...types];
    this.types.forEach((t, i) => this.typeIndex.set(t, i));
  }

  get size(): number {
    return this.count;
  }

  add(text: string, type: string): void {
    const ti = this.typeIndex.get(type);
    if (ti === undefined) throw new Error(`Gazetteer.add: unknown type (expected one of ${this.types.length} types)`);
    if (text.length === 0) return;
    let node = this.root;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let nx = node.next.get(c);
      if (!nx) {
        nx = { next: new Map(), types: [] };
        node.next.set(c, nx);
      }
      node = nx;
    }
    if (!node.types.includes(ti)) {
      node.types.push(ti);
      this.count++;
    }
  }

  /** All (string, type) entries, for saving. */
  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const walk = (node: TrieNode, prefix: string) => {
      for (const ti of node.types) out.push([prefix, this.types[ti]]);
      for (const [c, nx] of node.next) walk(nx, prefix + String.fromCharCode(c));
    };
    walk(this.root, '');
    return out;
  }

  /**
   * Per position, the gazetteer feature strings 'G:B-X' / 'G:I-X' / 'G:E-X' / 'G:S-X'.
   * Returns an array of length text.length.
   */
  features(text: string): string[][] {
    const T = text.length;
    const K = this.types.length;
    const longest = new Int32Array(K * T); // [K, T] longest match length of type k starting at t
    for (let t = 0; t < T; t++) {
      let node: TrieNode | undefined = this.root;
      for (let j = t; j < T; j++) {
        node = node.next.get(text.charCodeAt(j));
        if (!node) break;
        for (const ti of node.types) longest[ti * T + t] = j - t + 1;
      }
    }
    const out: string[][] = Array.from({ length: T }, () => []);
    greedyMatches(longest, K, T, (t, k, position) => out[t].push(`G:${POSITION_LETTER[position]}-${this.types[k]}`));
    return out;
  }
}

/** Splits text into words; the words must concatenate to the text. */
export type Segmenter = (text: string) => string[];

/** Word-position features per character from a segmentation. */
export function wordFeatures(text: string, segment: Segmenter): string[][] {
  const words = segment(text);
  const out: string[][] = Array.from({ length: text.length }, () => []);
  let pos = 0;
  for (const w of words) {
    if (text.slice(pos, pos + w.length) !== w) {
      throw new Error(`wordFeatures: the segmenter's words must concatenate to the text (mismatch at offset ${pos})`);
    }
    for (let j = 0; j < w.length; j++) {
      const p = w.length === 1 ? 'S' : j === 0 ? 'B' : j === w.length - 1 ? 'E' : 'M';
      out[pos + j].push(`W:${p}`, `W:${p}:${text[pos + j]}`);
    }
    pos += w.length;
  }
  if (pos !== text.length) {
    throw new Error(`wordFeatures: the segmenter's words cover ${pos} of ${text.length} characters`);
  }
  return out;
}

const PAD_LEFT = ['\u0002-2', '\u0002-1'];
const PAD_RIGHT = ['\u0003+1', '\u0003+2'];

/**
 * All feature strings of every position of text. `gazetteer` and `segment` are optional extra sources.
 * Returns an array of length text.length.
 */
export function positionFeatures(text: string, gazetteer?: Gazetteer | null, segment?: Segmenter | null): string[][] {
  const T = text.length;
  const c = (k: number): string => (k < 0 ? PAD_LEFT[k + 2] ?? '\u0002' : k >= T ? PAD_RIGHT[k - T] ?? '\u0003' : text[k]);
  const cls = (k: number): string => (k < 0 ? 'BOS' : k >= T ? 'EOS' : charClass(text.charCodeAt(k)));
  const gaz = gazetteer ? gazetteer.features(text) : null;
  const words = segment ? wordFeatures(text, segment) : null;
  const out: string[][] = new Array(T);
  for (let t = 0; t < T; t++) {
    const m2 = c(t - 2);
    const m1 = c(t - 1);
    const c0 = c(t);
    const p1 = c(t + 1);
    const p2 = c(t + 2);
    const f = [
      'BIAS',
      'U-2=' + m2,
      'U-1=' + m1,
      'U0=' + c0,
      'U1=' + p1,
      'U2=' + p2,
      'B-21=' + m2 + m1,
      'B-10=' + m1 + c0,
      'B01=' + c0 + p1,
      'B12=' + p1 + p2,
      'T-101=' + m1 + c0 + p1,
      'K0=' + cls(t),
      'K-101=' + cls(t - 1) + '/' + cls(t) + '/' + cls(t + 1),
    ];
    if (gaz) for (const g of gaz[t]) f.push(g);
    if (words) for (const w of words[t]) f.push(w);
    out[t] = f;
  }
  return out;
}

/** Feature string → id, built from training positions, keeping strings seen at least minCount times. */
export class FeatureDictionary {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  static build(positions: Iterable<string[][]>, minCount: number): FeatureDictionary {
    if (!(Number.isInteger(minCount) && minCount >= 1)) {
      throw new Error(`FeatureDictionary.build: minCount must be an integer >= 1, got ${minCount}`);
    }
    const counts = new Map<string, number>();
    for (const doc of positions) for (const pos of doc) for (const f of pos) counts.set(f, (counts.get(f) ?? 0) + 1);
    const dict = new FeatureDictionary();
    for (const [f, n] of counts) if (n >= minCount) dict.add(f);
    return dict;
  }

  static fromNames(names: string[]): FeatureDictionary {
    const dict = new FeatureDictionary();
    for (const n of names) dict.add(n);
    return dict;
  }

  private add(name: string): void {
    if (this.ids.has(name)) throw new Error('FeatureDictionary: duplicate feature name');
    this.ids.set(name, this.names.length);
    this.names.push(name);
  }

  get size(): number {
    return this.names.length;
  }

  id(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** Compressed rows of known feature ids (unknown strings dropped). */
  encode(positions: string[][]): { featStart: Int32Array; featIds: Int32Array } {
    const T = positions.length;
    const featStart = new Int32Array(T + 1); // [T + 1]
    const ids: number[] = [];
    for (let t = 0; t < T; t++) {
      for (const f of positions[t]) {
        const id = this.ids.get(f);
        if (id !== undefined) ids.push(id);
      }
      featStart[t + 1] = ids.length;
    }
    return { featStart, featIds: Int32Array.from(ids) }; // featIds: [featStart[T]]
  }
}
