/**
 * The outside-lexicon channel (issue 16 point 3): where a character sits inside matches of an OUTSIDE word list —
 * THUOCL's medical words, say — that knows nothing of the training annotation. Untyped: every match counts the same.
 *
 * Matching: EVERY match of a list word in the sentence (not only the longest; overlaps kept), over the sentence's
 * tokens (normalised code points). A token's id is the set of places it has in those matches, as 4 bits
 * (SoftLexicon's B/M/E/S sets, Ma et al. 2020, without their word vectors):
 *   B 1 (first token of a match of ≥ 2) · M 2 (inside one) · E 4 (last token of one) · S 8 (a one-token match)
 * so id 0 = in no match and the table has 16 rows (OUTSIDE_LEX_ROWS). Example with the words 胆囊, 胆囊炎, 囊炎:
 * 胆 = B, 囊 = B|M|E (B of 囊炎, M of 胆囊炎, E of 胆囊), 炎 = E.
 *
 * The list travels in the model header as `outsideLexicon` (OutsideLexiconSpec), one of:
 *   { words: [...] }            its own list: normalised, distinct, sorted by code units
 *   { segmenterMask: '...' }    the list is a subset of the segmenter's dictionary (header.segmenter.words, where
 *                               config.segmenterLexicon already put it): a bit set over those words, base64 —
 *                               bit i (byte i >> 3, bit i & 7) set = words[i] is on the list. So a model whose
 *                               segmenter has the list stores it once (a few kB instead of ~300 kB for THUOCL).
 * No outside file is needed at tagging time.
 */

/** the bits of a token's id: its places in the matches that cover it */
export const OUTSIDE_B = 1;
export const OUTSIDE_M = 2;
export const OUTSIDE_E = 4;
export const OUTSIDE_S = 8;
/** rows of the channel's table: every set of the 4 bits */
export const OUTSIDE_LEX_ROWS = 16;

/** The header form of the list (model header `outsideLexicon`; see the top of this file). */
export type OutsideLexiconSpec = { words: string[] } | { segmenterMask: string };

interface Node {
  next: Map<string, Node>;
  /** a list word ends here */
  end: boolean;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  return typeof v;
}

export class OutsideLexicon {
  private readonly root: Node = { next: new Map(), end: false };
  private count = 0;

  /** `words`: non-empty strings, already normalised as the tagger's tokens are; duplicates count once. */
  constructor(words: readonly string[]) {
    if (!Array.isArray(words))
      throw new TypeError(`OutsideLexicon: expected an array of words, got ${describe(words)}`);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (typeof w !== 'string' || w.length === 0) {
        throw new TypeError(
          `OutsideLexicon: word ${i} is ${typeof w === 'string' ? 'empty' : describe(w)}, expected a non-empty string`,
        );
      }
      let node = this.root;
      for (const c of w) {
        let nx = node.next.get(c);
        if (!nx) {
          nx = { next: new Map(), end: false };
          node.next.set(c, nx);
        }
        node = nx;
      }
      if (!node.end) {
        node.end = true;
        this.count++;
      }
    }
  }

  /** Number of distinct words. */
  get size(): number {
    return this.count;
  }

  /** The ids of a sentence's tokens [T], each a set of OUTSIDE_B / _M / _E / _S (see the top of this file). */
  match(tokens: readonly string[]): Int32Array {
    if (!Array.isArray(tokens))
      throw new TypeError(`OutsideLexicon.match: tokens must be an array of strings, got ${describe(tokens)}`);
    const T = tokens.length;
    const ids = new Int32Array(T); // [T]
    // inside[t]: +1 where the inner part of a match starts, -1 after it ends; its running sum > 0 = M
    const inside = new Int32Array(T + 1); // [T + 1]
    for (let t = 0; t < T; t++) {
      let node: Node | undefined = this.root;
      for (let j = t; j < T; j++) {
        node = node.next.get(tokens[j]);
        if (!node) break;
        if (!node.end) continue;
        if (j === t) ids[t] |= OUTSIDE_S;
        else {
          ids[t] |= OUTSIDE_B;
          ids[j] |= OUTSIDE_E;
          if (j > t + 1) {
            inside[t + 1]++;
            inside[j]--;
          }
        }
      }
    }
    for (let t = 0, run = 0; t < T; t++) {
      run += inside[t];
      if (run > 0) ids[t] |= OUTSIDE_M;
    }
    return ids;
  }
}

/**
 * The header form of a list that is a subset of the segmenter's dictionary: the bit set of `segmenterWords` that are
 * in `listWords` (words of the list the dictionary does not hold are left out); `count` = the words marked.
 */
export function segmenterMaskOf(
  segmenterWords: readonly string[],
  listWords: Iterable<string>,
): { spec: OutsideLexiconSpec; count: number } {
  if (!Array.isArray(segmenterWords))
    throw new TypeError(`segmenterMaskOf: expected the segmenter's words, got ${describe(segmenterWords)}`);
  const list = new Set(listWords);
  const bytes = new Uint8Array(Math.ceil(segmenterWords.length / 8)); // [ceil(N / 8)]
  let count = 0;
  for (let i = 0; i < segmenterWords.length; i++) {
    if (!list.has(segmenterWords[i])) continue;
    bytes[i >> 3] |= 1 << (i & 7);
    count++;
  }
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return { spec: { segmenterMask: btoa(bin) }, count };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The words of a header's `outsideLexicon` (OutsideLexiconSpec); `segmenter`: header.segmenter (a checked segmenter
 * spec: its words when kind 'dict'). Throws an Error naming the field (indices and counts, never a word).
 */
export function outsideLexiconWords(spec: unknown, segmenter: unknown): string[] {
  const form = "expected { words: [...] } or { segmenterMask: '<base64>' }";
  if (!spec || typeof spec !== 'object' || Array.isArray(spec))
    throw new Error(`header.outsideLexicon: ${form}, got ${describe(spec)}`);
  const s = spec as Record<string, unknown>;
  const keys = Object.keys(s);
  if (keys.length !== 1 || (keys[0] !== 'words' && keys[0] !== 'segmenterMask')) {
    throw new Error(`header.outsideLexicon: ${form}, got the fields ${keys.join(', ') || 'none'}`);
  }
  if (s.words !== undefined) {
    const words = s.words;
    if (!Array.isArray(words))
      throw new Error(`header.outsideLexicon.words: expected an array of strings, got ${describe(words)}`);
    const seen = new Set<string>();
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (typeof w !== 'string' || w.length === 0) {
        throw new Error(
          `header.outsideLexicon.words[${i}]: expected a non-empty string, got ${typeof w === 'string' ? 'an empty string' : describe(w)}`,
        );
      }
      if (seen.has(w)) throw new Error(`header.outsideLexicon.words[${i}] duplicates an earlier word`);
      seen.add(w);
    }
    return words as string[];
  }
  const mask = s.segmenterMask;
  if (typeof mask !== 'string' || !BASE64.test(mask) || mask.length % 4 !== 0) {
    throw new Error(
      `header.outsideLexicon.segmenterMask: expected a base64 string, got ${typeof mask === 'string' ? `${mask.length} characters that are not base64` : describe(mask)}`,
    );
  }
  const seg = segmenter as { kind?: unknown; words?: unknown } | null;
  const segmenterWords = seg && seg.kind === 'dict' && Array.isArray(seg.words) ? (seg.words as string[]) : null;
  if (segmenterWords === null) {
    throw new Error(
      "header.outsideLexicon.segmenterMask marks words of the segmenter's dictionary, but header.segmenter has none (kind 'none')",
    );
  }
  const bin = atob(mask);
  const N = segmenterWords.length;
  if (bin.length !== Math.ceil(N / 8)) {
    throw new Error(
      `header.outsideLexicon.segmenterMask holds ${bin.length} bytes, header.segmenter.words needs ${Math.ceil(N / 8)} (${N} words)`,
    );
  }
  const words: string[] = [];
  for (let i = 0; i < bin.length; i++) {
    const byte = bin.charCodeAt(i);
    for (let b = 0; b < 8; b++) {
      if ((byte & (1 << b)) === 0) continue;
      const w = 8 * i + b;
      if (w >= N)
        throw new Error(`header.outsideLexicon.segmenterMask marks word ${w}, header.segmenter.words has ${N}`);
      words.push(segmenterWords[w]);
    }
  }
  return words;
}

/**
 * The matcher a model header describes: its `outsideLexicon` list when the architecture has the outsideLex channel
 * (outsideLexDim > 0), else null. The header is a checked one (readModel), so the list is known to be sound.
 */
export function outsideLexiconOfHeader(h: {
  architecture: { outsideLexDim?: number };
  segmenter: unknown;
  outsideLexicon?: unknown;
}): OutsideLexicon | null {
  if (!((h.architecture.outsideLexDim ?? 0) > 0)) return null;
  return new OutsideLexicon(outsideLexiconWords(h.outsideLexicon, h.segmenter));
}
