/**
 * The entity lexicon channel: which known entity strings a sentence contains, per type, as one small id per
 * (position, type). It is the segmentation layer's idea — "entities seen in training stay whole" — given to
 * the network as an input instead of forced on the segmenter, so the network learns how far to trust it.
 *
 * Matching: for each type k independently, greedy longest match from left to right over the sentence's
 * tokens (normalised code points); a token covered by a match of type k gets its position in the match:
 *   NONE 0 · B 1 (first of ≥ 2) · I 2 (inside) · E 3 (last of ≥ 2) · S 4 (a one-token match)
 * Lexicon id of (token t, type k) = LEX_POSITIONS·k + position — the row of embed.lex it selects; the input of
 * the network at t holds the K rows side by side (src/model/layout.ts).
 *
 * The strings come from the model's consistency table (header.consistency: normalised entity string → type →
 * count), so a model carries its lexicon once. Training builds the rows of each training document from a
 * lexicon WITHOUT that document's fold (src/train/data.ts), so the network sees the coverage new text has.
 */

export const LEX_NONE = 0;
export const LEX_B = 1;
export const LEX_I = 2;
export const LEX_E = 3;
export const LEX_S = 4;
/** positions per type: rows of embed.lex per type */
export const LEX_POSITIONS = 5;

/**
 * The matching rule both entity dictionaries use (this channel and the feature CRF's gazetteer,
 * scripts/featcrf/features.ts): for each type k on its own, greedy longest match from left to right.
 * `longest` [K × T] holds the longest match of type k starting at t (0 = none); `mark(t, k, position)` is called
 * for every position a match covers, with LEX_B / LEX_I / LEX_E or LEX_S, type by type and left to right.
 */
export function greedyMatches(longest: Int32Array, K: number, T: number, mark: (t: number, k: number, position: number) => void): void {
  if (longest.length !== K * T) throw new RangeError(`greedyMatches: longest holds ${longest.length} entries, expected K·T = ${K * T}`);
  for (let k = 0; k < K; k++) {
    let t = 0;
    while (t < T) {
      const L = longest[k * T + t];
      if (L === 0) {
        t++;
        continue;
      }
      if (L === 1) mark(t, k, LEX_S);
      else {
        mark(t, k, LEX_B);
        for (let j = t + 1; j < t + L - 1; j++) mark(j, k, LEX_I);
        mark(t + L - 1, k, LEX_E);
      }
      t += L;
    }
  }
}

interface Node {
  next: Map<string, Node>;
  /** bit k set: a string of type k ends here */
  types: number;
}

export class Lexicon {
  /** entity types, in the order of the lexicon ids (the model's tag-set order) */
  readonly types: readonly string[];
  private readonly index: Map<string, number>;
  private readonly root: Node = { next: new Map(), types: 0 };
  private count = 0;

  constructor(types: readonly string[]) {
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new TypeError('Lexicon: expected a non-empty array of type names');
    }
    if (types.length > 30) throw new RangeError(`Lexicon: at most 30 types, got ${types.length}`);
    if (new Set(types).size !== types.length) throw new RangeError('Lexicon: duplicate type names');
    this.types = [...types];
    this.index = new Map(types.map((t, i) => [t, i]));
  }

  /** Number of distinct (string, type) pairs. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds `text` (already normalised, as the tagger's tokens are) under `type`. Types outside the lexicon's
   * list are ignored (a consistency table may know more types than a model tags).
   */
  add(text: string, type: string): void {
    if (typeof text !== 'string') throw new TypeError(`Lexicon.add: text must be a string, got ${typeof text}`);
    const k = this.index.get(type);
    if (k === undefined || text.length === 0) return;
    let node = this.root;
    for (const c of text) {
      let nx = node.next.get(c);
      if (!nx) {
        nx = { next: new Map(), types: 0 };
        node.next.set(c, nx);
      }
      node = nx;
    }
    if ((node.types & (1 << k)) === 0) {
      node.types |= 1 << k;
      this.count++;
    }
  }

  /** A lexicon of every (string, type) of a table string → type → count (the consistency table's entries). */
  static fromEntries(types: readonly string[], entries: Record<string, Record<string, number>>): Lexicon {
    const lex = new Lexicon(types);
    for (const key of Object.keys(entries)) for (const type of Object.keys(entries[key])) lex.add(key, type);
    return lex;
  }

  /**
   * Lexicon ids of a sentence: [T × K] row-major, id of (t, k) = LEX_POSITIONS·k + position (see the top of
   * this file). `tokens` are the sentence's normalised code points.
   */
  match(tokens: readonly string[]): Int32Array {
    if (!Array.isArray(tokens)) throw new TypeError(`Lexicon.match: tokens must be an array of strings, got ${typeof tokens}`);
    const T = tokens.length;
    const K = this.types.length;
    const longest = new Int32Array(K * T); // [K, T] longest match of type k starting at t
    for (let t = 0; t < T; t++) {
      let node: Node | undefined = this.root;
      for (let j = t; j < T; j++) {
        node = node.next.get(tokens[j]);
        if (!node) break;
        for (let m = node.types, k = 0; m !== 0; m >>>= 1, k++) if (m & 1) longest[k * T + t] = j - t + 1;
      }
    }
    const ids = new Int32Array(T * K); // [T, K]
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) ids[t * K + k] = LEX_POSITIONS * k + LEX_NONE;
    greedyMatches(longest, K, T, (t, k, position) => (ids[t * K + k] = LEX_POSITIONS * k + position));
    return ids;
  }
}
