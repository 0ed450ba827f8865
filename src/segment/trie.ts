/**
 * A prefix dictionary over UTF-16 code units: the trie the segmenter walks to find every dictionary word
 * starting at a position (jieba's DAG). Edges live in one open-addressing hash table keyed by
 * (parent node, code unit), so a step is a hash, a probe or two and three typed-array reads — no strings and no
 * per-node objects. Supports insertion (the dictionary builder adds entity words one at a time).
 *
 * CodeUnitTrie.fromSorted(words, freqs) builds lazily, for a fast cold start: the words (sorted by code units,
 * as the model header stores them) enter the trie one first code unit at a time, the first time anything walks
 * from the root along that unit — cutting, find/get or set — so a model's first answer does not wait for the
 * whole dictionary. A unit's words are found by binary search (sorted words have non-decreasing first units)
 * and inserted without lookups: each word reuses the path of its longest common prefix with the word before it.
 * Every query answers exactly as if every word had been set() one by one.
 */

/** slotParent holds parent + 1; 0 marks a free slot (so new tables need no fill) */
const FREE = 0;

/** Only this module has it: fromSorted skips its input checks when given it (see sortedTrieOfCheckedWords). */
const CHECKED: unique symbol = Symbol('checked');

export class CodeUnitTrie {
  /** number of nodes; node 0 is the root */
  private nodes = 1;
  /** frequency of the word ending at a node, 0 when the node is only a prefix    [node capacity] */
  private freq: Float64Array;
  /** Math.log(freq) for word nodes (what the DP adds up), 0 elsewhere               [node capacity] */
  private logFreq: Float64Array;
  /** edge table: parent node + 1 of the slot, FREE (0) when free                    [slots] */
  private slotParent: Int32Array;
  /** edge table: code unit of the slot                                               [slots] */
  private slotUnit: Uint16Array;
  /** edge table: child node of the slot                                              [slots] */
  private slotChild: Int32Array;
  private mask: number;
  private edges = 0;
  /** number of distinct words stored (fromSorted: including those not inserted yet) */
  private wordCount = 0;
  /** fromSorted: the words, sorted by code units (null once all are inserted)       [words] */
  private lazyWords: string[] | null = null;
  /** fromSorted: their frequencies                                                   [words] */
  private lazyFreqs: Float64Array | null = null;
  /** fromSorted: 1 where the words starting with that code unit were inserted (or there are none)   [65536] */
  private lazyDone: Uint8Array | null = null;
  /** fromSorted: number of words not inserted yet */
  private lazyLeft = 0;
  /** fromSorted: node on the previous word's path at each depth, while inserting     [longest word + 1] */
  private path = new Int32Array(0);

  constructor(expectedUnits = 1024) {
    const nodeCap = Math.max(16, expectedUnits + 1);
    this.freq = new Float64Array(nodeCap);
    this.logFreq = new Float64Array(nodeCap);
    let slots = 16;
    while (slots < expectedUnits * 2) slots *= 2;
    this.mask = slots - 1;
    this.slotParent = new Int32Array(slots);
    this.slotUnit = new Uint16Array(slots);
    this.slotChild = new Int32Array(slots);
  }

  /**
   * A trie of `words` (sorted by UTF-16 code units, no duplicates, each non-empty) with `freqs` (positive, finite;
   * freqs[i] belongs to words[i]): the same dictionary as set() word by word, built lazily (see the top of this
   * file). Checks its input (one pass); both arrays are copied, so later changes to them do not reach the trie.
   * `checked` is this module's own token (sortedTrieOfCheckedWords): other callers leave it out.
   */
  static fromSorted(words: readonly string[], freqs: ArrayLike<number>, checked?: typeof CHECKED): CodeUnitTrie {
    if (checked === CHECKED) return CodeUnitTrie.lazy(words, Float64Array.from(freqs));
    if (!Array.isArray(words)) throw new TypeError(`CodeUnitTrie.fromSorted: expected words to be an array, got ${describe(words)}`);
    if (freqs === null || typeof freqs !== 'object' || typeof freqs.length !== 'number') {
      throw new TypeError(`CodeUnitTrie.fromSorted: expected freqs to be an array of numbers, got ${describe(freqs)}`);
    }
    if (freqs.length !== words.length) {
      throw new Error(`CodeUnitTrie.fromSorted: expected as many freqs as words (${words.length}), got ${freqs.length}`);
    }
    const f = Float64Array.from(freqs);
    let prev = '';
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (typeof w !== 'string' || w.length === 0) {
        throw new TypeError(`CodeUnitTrie.fromSorted: expected words[${i}] to be a non-empty string, got ${typeof w === 'string' ? 'an empty string' : describe(w)}`);
      }
      if (i > 0 && !(prev < w)) {
        throw new Error(`CodeUnitTrie.fromSorted: expected words sorted by code units without duplicates, words[${i}] is not after words[${i - 1}]`);
      }
      if (!(f[i] > 0) || f[i] === Infinity || typeof freqs[i] !== 'number') {
        throw new Error(`CodeUnitTrie.fromSorted: expected freqs[${i}] to be a positive finite number, got ${String(freqs[i])}`);
      }
      prev = w;
    }
    return CodeUnitTrie.lazy(words, f);
  }

  private static lazy(words: readonly string[], f: Float64Array): CodeUnitTrie {
    // capacity for the whole dictionary up front (about 3 code units a word; it grows if that is short): the
    // tables are zero-filled typed arrays, which cost nothing until touched
    const trie = new CodeUnitTrie(words.length * 3);
    trie.wordCount = words.length;
    if (words.length > 0) {
      trie.lazyWords = words.slice();
      trie.lazyFreqs = f;
      trie.lazyDone = new Uint8Array(65536);
      trie.lazyLeft = words.length;
    }
    return trie;
  }

  get size(): number {
    return this.wordCount;
  }

  /** The child of `node` along code unit `unit`, or -1. */
  child(node: number, unit: number): number {
    if (node === 0 && this.lazyDone !== null && this.lazyDone[unit] === 0) this.insertWordsStartingWith(unit);
    const mask = this.mask;
    const key = node + 1;
    let slot = hash(node, unit) & mask;
    for (;;) {
      const parent = this.slotParent[slot];
      if (parent === FREE) return -1;
      if (parent === key && this.slotUnit[slot] === unit) return this.slotChild[slot];
      slot = (slot + 1) & mask;
    }
  }

  /** Frequency of the word ending at `node` (0 = not a word). */
  nodeFreq(node: number): number {
    return this.freq[node];
  }

  /** log(frequency) of the word ending at `node`; only meaningful when nodeFreq(node) > 0. */
  nodeLogFreq(node: number): number {
    return this.logFreq[node];
  }

  /** The node reached by `word`, or -1. */
  find(word: string): number {
    let node = 0;
    for (let i = 0; i < word.length && node >= 0; i++) node = this.child(node, word.charCodeAt(i));
    return node;
  }

  /** Frequency of `word`, 0 when it is not a dictionary word. */
  get(word: string): number {
    const node = this.find(word);
    return node < 0 ? 0 : this.freq[node];
  }

  /** Sets the frequency of `word` (inserting it when absent); returns the previous frequency (0 if none). */
  set(word: string, freq: number): number {
    let node = 0;
    for (let i = 0; i < word.length; i++) {
      const unit = word.charCodeAt(i);
      let next = this.child(node, unit); // from the root: inserts the pending words of this unit first
      if (next < 0) next = this.addEdge(node, unit);
      node = next;
    }
    const old = this.freq[node];
    if (old === 0 && freq > 0) this.wordCount++;
    if (old > 0 && freq === 0) this.wordCount--;
    this.freq[node] = freq;
    this.logFreq[node] = freq > 0 ? Math.log(freq) : 0;
    return old;
  }

  /** fromSorted: inserts the words that start with code unit `unit` (consecutive, as the words are sorted). */
  private insertWordsStartingWith(unit: number): void {
    const words = this.lazyWords as string[];
    const freqs = this.lazyFreqs as Float64Array;
    (this.lazyDone as Uint8Array)[unit] = 1;
    // first word whose first code unit is ≥ unit
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid].charCodeAt(0) < unit) lo = mid + 1;
      else hi = mid;
    }
    let prev = '';
    for (let i = lo; i < words.length; i++) {
      const w = words[i];
      if (w.charCodeAt(0) !== unit) break;
      if (w.length >= this.path.length) {
        const grown = new Int32Array(Math.max(16, 2 * w.length)); // keeps the previous word's path
        grown.set(this.path);
        this.path = grown;
      }
      const path = this.path;
      // the longest common prefix with the previous word: its path exists, and no edge below it does yet
      // (sorted words sharing a prefix are consecutive); the first word starts at the root
      let depth = 0;
      const common = Math.min(prev.length, w.length);
      while (depth < common && prev.charCodeAt(depth) === w.charCodeAt(depth)) depth++;
      let node = depth === 0 ? 0 : path[depth];
      for (let k = depth; k < w.length; k++) {
        node = this.addEdge(node, w.charCodeAt(k));
        path[k + 1] = node;
      }
      this.freq[node] = freqs[i];
      this.logFreq[node] = Math.log(freqs[i]);
      this.lazyLeft--;
      prev = w;
    }
    if (this.lazyLeft === 0) {
      this.lazyWords = null;
      this.lazyFreqs = null;
      this.lazyDone = null;
      this.path = new Int32Array(0);
    }
  }

  private addEdge(parent: number, unit: number): number {
    if (this.nodes === this.freq.length) this.growNodes();
    if ((this.edges + 1) * 2 > this.mask + 1) this.growSlots();
    const node = this.nodes++;
    this.insertSlot(parent, unit, node);
    this.edges++;
    return node;
  }

  private insertSlot(parent: number, unit: number, child: number): void {
    const mask = this.mask;
    let slot = hash(parent, unit) & mask;
    while (this.slotParent[slot] !== FREE) slot = (slot + 1) & mask;
    this.slotParent[slot] = parent + 1;
    this.slotUnit[slot] = unit;
    this.slotChild[slot] = child;
  }

  private growNodes(): void {
    const cap = this.freq.length * 2;
    const freq = new Float64Array(cap);
    freq.set(this.freq);
    const logFreq = new Float64Array(cap);
    logFreq.set(this.logFreq);
    this.freq = freq;
    this.logFreq = logFreq;
  }

  private growSlots(): void {
    const oldParent = this.slotParent;
    const oldUnit = this.slotUnit;
    const oldChild = this.slotChild;
    const slots = (this.mask + 1) * 2;
    this.mask = slots - 1;
    this.slotParent = new Int32Array(slots);
    this.slotUnit = new Uint16Array(slots);
    this.slotChild = new Int32Array(slots);
    for (let s = 0; s < oldParent.length; s++) {
      if (oldParent[s] !== FREE) this.insertSlot(oldParent[s] - 1, oldUnit[s], oldChild[s]);
    }
  }
}

function hash(node: number, unit: number): number {
  let h = Math.imul(node, 0x9e3779b1) ^ Math.imul(unit + 1, 0x85ebca6b);
  h ^= h >>> 15;
  return h;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  return typeof v;
}

/**
 * CodeUnitTrie.fromSorted without its one-pass input check, for a caller that has just checked the very same
 * conditions (segmenter.ts, right after validateSegmenterSpec: sorted by code units, no duplicates, non-empty
 * words, positive finite frequencies). Not exported from src/segment/index.ts.
 */
export function sortedTrieOfCheckedWords(words: readonly string[], freqs: readonly number[]): CodeUnitTrie {
  return CodeUnitTrie.fromSorted(words, freqs, CHECKED);
}
