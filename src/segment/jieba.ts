/**
 * jieba's dictionary segmentation — `jieba.cut(sentence, HMM=False)` in Python, `Jieba::cut(s, false)` in jieba-rs
 * (0.10.3, the version inside @node-rs/jieba 2.0.3, which the parity tests compare against).
 *
 * 1. Blocks. The text splits into maximal runs of "block" characters — CJK ideographs (U+3400–4DBF, U+4E00–9FFF,
 *    U+F900–FAFF, U+20000–2A6DF, U+2A700–2EBEF, U+2F800–2FA1F: jieba-rs' `RE_HAN_DEFAULT`; Python jieba stops at
 *    U+9FD5 and has no extension ranges) and ASCII `a-zA-Z0-9+#&._%-` — and everything else. Outside blocks every
 *    code point is its own word, except "\r\n", which stays one word (`RE_SKIP_DEFAULT` = `(\r\n|\s)`).
 *    A lone surrogate is never a block character, so it becomes a one-unit word of its own.
 * 2. DAG. Inside a block, for every code point start k, every dictionary word that starts at k and ends inside
 *    the block is an edge k → end.
 * 3. Route. From the right: route[n] = 0; route[k] = max over edges (log(freq) - log(total) + route[end], end)
 *    — ties go to the longer word (tuple comparison, as in both implementations); a position without edges steps
 *    one code point with freq 1.
 * 4. Words. Follow the route from the left; consecutive one-code-point steps that are ASCII letters or digits
 *    are joined into one word (`__cut_DAG_NO_HMM`'s `re_eng` buffer), so "abc" or "5mg" stay whole.
 *
 * No HMM: jieba's HMM for unknown words needs its emission table (~35k entries, a few hundred KB as JSON), which
 * would dominate the model header; unknown sequences are therefore single characters, like `HMM=False`.
 */

import { CodeUnitTrie } from './trie.js';

/** a-z A-Z 0-9 and + # & . _ % - : the ASCII part of jieba's block class */
const ASCII_BLOCK = new Uint8Array(128);
/** a-z A-Z 0-9 */
const ASCII_ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[a-zA-Z0-9]/.test(ch)) ASCII_ALNUM[c] = 1;
  if (/[a-zA-Z0-9+#&._%-]/.test(ch)) ASCII_BLOCK[c] = 1;
}

/** Whether code point `cp` belongs to jieba-rs' block class (RE_HAN_DEFAULT). */
export function isBlockCodePoint(cp: number): boolean {
  if (cp < 128) return ASCII_BLOCK[cp] === 1;
  if (cp < 0x10000) {
    return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff);
  }
  return (
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2ebef) || // extensions C, D, E, F: 2A700–2B73F, 2B740–2B81F, 2B820–2CEAF, 2CEB0–2EBEF
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Length in code units (1 or 2) of the block character at `i`, or 0 when the code point there is not one. */
function blockCharLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return isBlockCodePoint(c) ? 1 : 0;
  if (c > 0xdbff || i + 1 >= text.length) return 0; // lone low surrogate, or high surrogate at the end
  const d = text.charCodeAt(i + 1);
  if (d < 0xdc00 || d > 0xdfff) return 0; // lone high surrogate
  return isBlockCodePoint(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) ? 2 : 0;
}

/**
 * Calls `visit(start, end)` for every maximal run of block characters in `text` (UTF-16 offsets, end exclusive):
 * the only stretches where dictionary words can be used.
 */
export function forEachBlock(text: string, visit: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    let len = blockCharLength(text, i);
    if (len === 0) {
      i++;
      continue;
    }
    let j = i + len;
    while (j < n && (len = blockCharLength(text, j)) > 0) j += len;
    visit(i, j);
    i = j;
  }
}

/** Whether every code point of `word` is a block character (otherwise no cut can ever use it as a word). */
export function isBlockWord(word: string): boolean {
  if (word.length === 0) return false;
  for (let i = 0; i < word.length; ) {
    const len = blockCharLength(word, i);
    if (len === 0) return false;
    i += len;
  }
  return true;
}

/** Length in code units of the code point at `i` (a lone surrogate counts as one). */
function codePointLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * A jieba dictionary ready to cut with: the prefix trie, the frequency total, and reusable DP buffers.
 * Mutable (`setFreq`) so the dictionary builder can replay jieba's `add_word` one entity at a time.
 */
export class JiebaDictionary {
  readonly trie: CodeUnitTrie;
  private _total: number;
  private logTotal: number;
  /** route score per block offset                                   [block length + 1] */
  private score = new Float64Array(256);
  /** route: end offset (absolute) of the word starting at a block offset [block length + 1] */
  private next = new Int32Array(256);
  /** word end offsets of the text being cut                           [grows] */
  private ends = new Int32Array(256);
  private endCount = 0;

  constructor(trie: CodeUnitTrie, total: number) {
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new Error(`JiebaDictionary: expected total to be a positive finite number, got ${String(total)}`);
    }
    this.trie = trie;
    this._total = total;
    this.logTotal = Math.log(total);
  }

  get total(): number {
    return this._total;
  }

  /** Frequency of `word` (0 when absent). */
  freq(word: string): number {
    return this.trie.get(word);
  }

  /**
   * jieba-rs `add_word(word, Some(freq))`: sets the frequency and moves total by the difference, so later
   * log-probabilities see the new total exactly as jieba's would.
   */
  setFreq(word: string, freq: number): void {
    const old = this.trie.set(word, freq);
    this._total += freq - old;
    this.logTotal = Math.log(this._total);
  }

  /**
   * jieba-rs `suggest_freq(segment)`: the smallest frequency that makes `segment` beat its own best split,
   * max(floor(exp(Σ log(freq(w)) - k·log(total) + log(total))) + 1, freq(segment) or 1) over the words w of
   * cut(segment); missing words count as freq 1.
   */
  suggestFreq(segment: string): number {
    const logTotal = this.logTotal;
    let logFreq = 0;
    let start = 0;
    for (const end of this.cutEnds(segment)) {
      const f = this.trie.get(segment.slice(start, end));
      logFreq = logFreq + Math.log(f > 0 ? f : 1) - logTotal;
      start = end;
    }
    const own = this.trie.get(segment);
    return Math.max(Math.floor(Math.exp(logFreq + logTotal)) + 1, own > 0 ? own : 1);
  }

  /** UTF-16 end offsets of the words of `text`, ascending; the last is text.length (empty text: none). */
  cutEnds(text: string): Int32Array {
    this.endCount = 0;
    const n = text.length;
    let i = 0;
    while (i < n) {
      let len = blockCharLength(text, i);
      if (len > 0) {
        let j = i + len;
        while (j < n && (len = blockCharLength(text, j)) > 0) j += len;
        this.cutBlock(text, i, j);
        i = j;
      } else if (text.charCodeAt(i) === 13 && i + 1 < n && text.charCodeAt(i + 1) === 10) {
        this.push(i + 2);
        i += 2;
      } else {
        i += codePointLength(text, i);
        this.push(i);
      }
    }
    return this.ends.slice(0, this.endCount);
  }

  private push(end: number): void {
    if (this.endCount === this.ends.length) {
      const grown = new Int32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.endCount++] = end;
  }

  /** Cuts block text[s, e) (only block characters, surrogates only in valid pairs). */
  private cutBlock(text: string, s: number, e: number): void {
    const m = e - s;
    if (m + 1 > this.score.length) {
      let cap = this.score.length;
      while (cap < m + 1) cap *= 2;
      this.score = new Float64Array(cap);
      this.next = new Int32Array(cap);
    }
    const score = this.score;
    const next = this.next;
    const trie = this.trie;
    const logTotal = this.logTotal;
    score[m] = 0;
    let p = e;
    while (p > s) {
      // start of the code point that ends at p
      let q = p - 1;
      if (q > s) {
        const lo = text.charCodeAt(q);
        if (lo >= 0xdc00 && lo <= 0xdfff) q--; // inside a block a low surrogate always follows its high one
      }
      let best = -Infinity;
      let bestEnd = -1;
      let node = 0;
      for (let k = q; k < e; k++) {
        node = trie.child(node, text.charCodeAt(k));
        if (node < 0) break;
        if (trie.nodeFreq(node) > 0) {
          const end = k + 1;
          const cand = trie.nodeLogFreq(node) - logTotal + score[end - s];
          if (cand >= best) {
            // >= : on a tie the later (longer) edge wins, like the (score, end) tuple max
            best = cand;
            bestEnd = end;
          }
        }
      }
      if (bestEnd < 0) {
        bestEnd = p;
        best = 0 - logTotal + score[p - s];
      }
      score[q - s] = best;
      next[q - s] = bestEnd;
      p = q;
    }
    // follow the route; join runs of one-character ASCII letter/digit steps
    let x = s;
    let left = -1;
    while (x < e) {
      const y = next[x - s];
      if (y - x === 1 && text.charCodeAt(x) < 128 && ASCII_ALNUM[text.charCodeAt(x)] === 1) {
        if (left < 0) left = x;
      } else {
        if (left >= 0) {
          this.push(x);
          left = -1;
        }
        this.push(y);
      }
      x = y;
    }
    if (left >= 0) this.push(e);
  }
}
