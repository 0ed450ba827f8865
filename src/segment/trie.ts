/**
 * A prefix dictionary over UTF-16 code units: the trie the segmenter walks to find every dictionary word
 * starting at a position (jieba's DAG). Edges live in one open-addressing hash table keyed by
 * (parent node, code unit), so a step is a hash, a probe or two and three typed-array reads — no strings and no
 * per-node objects. Supports insertion (the dictionary builder adds entity words one at a time).
 */

const EMPTY = -1;

export class CodeUnitTrie {
  /** number of nodes; node 0 is the root */
  private nodes = 1;
  /** frequency of the word ending at a node, 0 when the node is only a prefix    [node capacity] */
  private freq: Float64Array;
  /** Math.log(freq) for word nodes (what the DP adds up), 0 elsewhere               [node capacity] */
  private logFreq: Float64Array;
  /** edge table: parent node of the slot, EMPTY when free                           [slots] */
  private slotParent: Int32Array;
  /** edge table: code unit of the slot                                               [slots] */
  private slotUnit: Uint16Array;
  /** edge table: child node of the slot                                              [slots] */
  private slotChild: Int32Array;
  private mask: number;
  private edges = 0;
  /** number of distinct words stored */
  private wordCount = 0;

  constructor(expectedUnits = 1024) {
    const nodeCap = Math.max(16, expectedUnits + 1);
    this.freq = new Float64Array(nodeCap);
    this.logFreq = new Float64Array(nodeCap);
    let slots = 16;
    while (slots < expectedUnits * 2) slots *= 2;
    this.mask = slots - 1;
    this.slotParent = new Int32Array(slots).fill(EMPTY);
    this.slotUnit = new Uint16Array(slots);
    this.slotChild = new Int32Array(slots);
  }

  get size(): number {
    return this.wordCount;
  }

  /** The child of `node` along code unit `unit`, or -1. */
  child(node: number, unit: number): number {
    const mask = this.mask;
    let slot = hash(node, unit) & mask;
    for (;;) {
      const parent = this.slotParent[slot];
      if (parent === EMPTY) return -1;
      if (parent === node && this.slotUnit[slot] === unit) return this.slotChild[slot];
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
      let next = this.child(node, unit);
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
    while (this.slotParent[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slotParent[slot] = parent;
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
    this.slotParent = new Int32Array(slots).fill(EMPTY);
    this.slotUnit = new Uint16Array(slots);
    this.slotChild = new Int32Array(slots);
    for (let s = 0; s < oldParent.length; s++) {
      if (oldParent[s] !== EMPTY) this.insertSlot(oldParent[s], oldUnit[s], oldChild[s]);
    }
  }
}

function hash(node: number, unit: number): number {
  let h = Math.imul(node, 0x9e3779b1) ^ Math.imul(unit + 1, 0x85ebca6b);
  h ^= h >>> 15;
  return h;
}
