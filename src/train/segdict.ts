/**
 * Builds the SegmenterSpec stored in a model file (Node only: reads jieba's dictionary from @node-rs/jieba).
 *
 * Pruning. jieba's DP only ever consults dictionary words that lie inside a block (a run of CJK / ASCII-word
 * characters) of the sentence being cut. Keeping exactly the words that occur inside the blocks of the given texts
 * (training + unlabeled corpus) — and the full dictionary's `total` — therefore leaves the segmentation of those
 * texts identical to the full dictionary's, bit for bit. For NEW text at tagging time the pruned dictionary is an
 * approximation: a full-dictionary word that never occurred in the corpus is cut as smaller pieces instead.
 * Words that cannot be used by any cut (a non-block character inside) are dropped without any change.
 *
 * Entities ('jieba+entities'). Every entity string is added the way `jieba.add_word(word)` does it, one after the
 * other in the given order (duplicates skipped): freq = suggest_freq(word) against the dictionary so far
 * (including earlier entities), total += freq - old freq. `entityFreq` replaces suggest_freq by a fixed frequency
 * (an entity never loses frequency: max(entityFreq, current)). suggest_freq makes the word beat its own best split;
 * in context a neighbouring word can still win over it — the tests measure how often.
 *
 * Lexicon words (`lexicon`, any variant but 'none'; issue 16: THUOCL's medical word list). The words of an outside
 * word list are added after the entities, the same way (jieba's add_word: suggest_freq, duplicates skipped), and are
 * NOT pruned: they are there for new text at tagging time, which the pruning texts never show. Their own
 * frequencies (another corpus's counts) are not used.
 */

import { readFileSync } from 'node:fs';
import { dict as jiebaDictBytes } from '@node-rs/jieba/dict.js';
import { JiebaDictionary, forEachBlock, isBlockWord } from '../segment/jieba.js';
import type { DictSegmenterSpec, SegmenterSpec } from '../segment/spec.js';
import { CodeUnitTrie } from '../segment/trie.js';

export type SegdictVariant = 'none' | 'jieba' | 'jieba+entities';

export interface BuildSegmenterOptions {
  variant: SegdictVariant;
  /** texts the dictionary is pruned to (training + unlabeled); ignored with prune: false */
  texts: readonly string[];
  /** entity strings of the training split (variant 'jieba+entities' only) */
  entities?: readonly string[];
  /** fixed frequency for entity words instead of jieba's suggest_freq */
  entityFreq?: number;
  /** keep only words occurring in `texts` (default true); false keeps the whole dictionary (parity tests) */
  prune?: boolean;
  /** a jieba dictionary text (`word freq [pos]` lines) instead of @node-rs/jieba's dict.txt */
  dictionary?: Uint8Array | string;
  /** words of an outside word list (e.g. THUOCL), added after the entities and kept unpruned (see the file header) */
  lexicon?: readonly string[];
}

export interface SegdictStats {
  variant: SegdictVariant;
  /** words kept in the spec */
  words: number;
  /** UTF-8 bytes of JSON.stringify(spec) */
  bytes: number;
  /** words in the source dictionary */
  fullWords: number;
  /** frequency total of the source dictionary (before entities) */
  fullTotal: number;
  /** total stored in the spec (after entities) */
  total: number;
  texts: number;
  /** UTF-16 code units in the texts */
  textChars: number;
  /** distinct entity strings given */
  entities: number;
  /** entity strings that were already dictionary words (their frequency may have been raised) */
  entitiesInDictionary: number;
  /** entity strings with a non-block character: counted into total as jieba would, but never usable */
  entitiesUnusable: number;
  /** distinct lexicon words given */
  lexicon: number;
  /** lexicon words that were already dictionary words (or entities) */
  lexiconInDictionary: number;
  /** lexicon words with a non-block character (left out: no cut can use them) */
  lexiconUnusable: number;
}

export interface ParsedDictionary {
  words: string[];
  freqs: number[];
  /** sum of freqs */
  total: number;
}

/**
 * The `word [freq [pos]]` lines of a dictionary or word-list text, as jieba-rs' `load_dict` reads them: per line,
 * whitespace-separated fields, a missing freq is 0, a repeated word keeps its first position and takes the later freq;
 * blank lines skipped (a UTF-8 byte order mark is not part of the first word). Every word, frequency 0 included.
 * `where` starts the message of a bad frequency field.
 */
function dictionaryLines(source: Uint8Array | string, where: string): { words: string[]; freqs: number[] } {
  let text: string;
  if (typeof source === 'string') text = source;
  else if (source instanceof Uint8Array) text = new TextDecoder('utf-8').decode(source);
  else throw new TypeError(`${where}: expected a string or Uint8Array, got ${typeof source}`);
  const index = new Map<string, number>();
  const words: string[] = [];
  const freqs: number[] = [];
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const fields = lines[l].trim().split(/\s+/);
    if (fields[0] === '') continue;
    let freq = 0;
    if (fields.length > 1) {
      if (!/^\d+$/.test(fields[1])) throw new Error(`${where}: line ${l + 1}: expected an integer frequency, got a field of ${fields[1].length} characters`);
      freq = Number(fields[1]);
    }
    const at = index.get(fields[0]);
    if (at === undefined) {
      index.set(fields[0], words.length);
      words.push(fields[0]);
      freqs.push(freq);
    } else {
      freqs[at] = freq;
    }
  }
  return { words, freqs };
}

/**
 * Parses a jieba dictionary the way jieba-rs' `load_dict` does (dictionaryLines). Words with freq 0 are dropped
 * (Python jieba never puts them in the DAG).
 */
export function parseJiebaDictionary(source: Uint8Array | string): ParsedDictionary {
  const { words, freqs } = dictionaryLines(source, 'parseJiebaDictionary');
  let total = 0;
  for (const f of freqs) total += f;
  const keptWords: string[] = [];
  const keptFreqs: number[] = [];
  for (let i = 0; i < words.length; i++) {
    if (freqs[i] > 0) {
      keptWords.push(words[i]);
      keptFreqs.push(freqs[i]);
    }
  }
  return { words: keptWords, freqs: keptFreqs, total };
}

/**
 * The words of a word-list file (config.segmenterLexicon, config.outsideLexicon: `word [freq]` lines, THUOCL's
 * format, or one word a line; frequencies unused, so a word without one or with 0 is kept), distinct, in file order;
 * undefined for '' (no word list). A file without a single word is an error naming it.
 */
export function readLexiconWords(path: string): string[] | undefined {
  if (typeof path !== 'string') throw new TypeError(`readLexiconWords: expected a path, got ${typeof path}`);
  if (path === '') return undefined;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`segmenter lexicon ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { words } = dictionaryLines(bytes, `segmenter lexicon ${path}`);
  if (words.length === 0) throw new Error(`segmenter lexicon ${path}: no words (expected one \`word [freq]\` a line)`);
  return words;
}

let parsedDefault: ParsedDictionary | undefined;

/** @node-rs/jieba's dict.txt, parsed once per process (read-only: the builder copies what it changes). */
function defaultDictionary(): ParsedDictionary {
  parsedDefault ??= parseJiebaDictionary(jiebaDictBytes);
  return parsedDefault;
}

function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Builds the spec and its size figures. */
export function buildSegmenterSpec(options: BuildSegmenterOptions): { spec: SegmenterSpec; stats: SegdictStats } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`buildSegmenterSpec: expected an options object, got ${options === null ? 'null' : typeof options}`);
  const { variant, texts } = options;
  if (variant !== 'none' && variant !== 'jieba' && variant !== 'jieba+entities') {
    throw new Error(`buildSegmenterSpec: expected variant 'none', 'jieba' or 'jieba+entities', got ${JSON.stringify(String(variant))}`);
  }
  if (!Array.isArray(texts)) throw new TypeError(`buildSegmenterSpec: expected texts to be an array of strings, got ${typeof texts}`);
  let textChars = 0;
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new TypeError(`buildSegmenterSpec: expected texts[${i}] to be a string, got ${typeof t}`);
    textChars += t.length;
  });
  const entitiesGiven = options.entities ?? [];
  if (!Array.isArray(entitiesGiven)) throw new TypeError(`buildSegmenterSpec: expected entities to be an array of strings, got ${typeof entitiesGiven}`);
  if (variant !== 'jieba+entities' && entitiesGiven.length > 0) {
    throw new Error(`buildSegmenterSpec: entities are only used by variant 'jieba+entities', got ${entitiesGiven.length} with variant '${variant}'`);
  }
  const entityFreq = options.entityFreq;
  if (entityFreq !== undefined && (typeof entityFreq !== 'number' || !Number.isFinite(entityFreq) || entityFreq < 1)) {
    throw new Error(`buildSegmenterSpec: expected entityFreq to be a finite number >= 1, got ${String(entityFreq)}`);
  }
  entitiesGiven.forEach((e, i) => {
    if (typeof e !== 'string' || e.length === 0) throw new TypeError(`buildSegmenterSpec: expected entities[${i}] to be a non-empty string, got ${typeof e === 'string' ? 'an empty string' : typeof e}`);
  });
  const lexiconGiven = options.lexicon ?? [];
  if (!Array.isArray(lexiconGiven)) throw new TypeError(`buildSegmenterSpec: expected lexicon to be an array of strings, got ${typeof lexiconGiven}`);
  if (variant === 'none' && lexiconGiven.length > 0) {
    throw new Error(`buildSegmenterSpec: lexicon words need a dictionary variant ('jieba' or 'jieba+entities'), got ${lexiconGiven.length} with variant 'none'`);
  }
  lexiconGiven.forEach((w, i) => {
    if (typeof w !== 'string' || w.length === 0) throw new TypeError(`buildSegmenterSpec: expected lexicon[${i}] to be a non-empty string, got ${typeof w === 'string' ? 'an empty string' : typeof w}`);
  });
  const prune = options.prune ?? true;

  if (variant === 'none') {
    const spec: SegmenterSpec = { kind: 'none' };
    const bytes = utf8Bytes(JSON.stringify(spec));
    return {
      spec,
      stats: { variant, words: 0, bytes, fullWords: 0, fullTotal: 0, total: 0, texts: texts.length, textChars, entities: 0, entitiesInDictionary: 0, entitiesUnusable: 0, lexicon: 0, lexiconInDictionary: 0, lexiconUnusable: 0 },
    };
  }
  const source = options.dictionary === undefined ? defaultDictionary() : parseJiebaDictionary(options.dictionary);
  const stats: SegdictStats = {
    variant,
    words: 0,
    bytes: 0,
    fullWords: source.words.length,
    fullTotal: source.total,
    total: source.total,
    texts: texts.length,
    textChars,
    entities: 0,
    entitiesInDictionary: 0,
    entitiesUnusable: 0,
    lexicon: 0,
    lexiconInDictionary: 0,
    lexiconUnusable: 0,
  };

  // the working dictionary: the full one, then jieba's add_word for each entity
  let units = 0;
  for (const w of source.words) units += w.length;
  const trie = new CodeUnitTrie(units);
  for (let i = 0; i < source.words.length; i++) trie.set(source.words[i], source.freqs[i]);
  const dict = new JiebaDictionary(trie, source.total);
  const words = source.words.slice();
  const seen = new Set<string>();
  entitiesGiven.forEach((e) => {
    if (seen.has(e)) return;
    seen.add(e);
    const current = dict.freq(e);
    if (current > 0) stats.entitiesInDictionary++;
    else words.push(e);
    if (!isBlockWord(e)) stats.entitiesUnusable++;
    const freq = entityFreq === undefined ? dict.suggestFreq(e) : Math.max(Math.floor(entityFreq), current);
    dict.setFreq(e, freq);
  });
  stats.entities = seen.size;
  // lexicon words: the same add_word, after the entities; usable ones escape the pruning below
  const unpruned = new Set<string>();
  const lexiconSeen = new Set<string>();
  for (const w of lexiconGiven) {
    if (lexiconSeen.has(w)) continue;
    lexiconSeen.add(w);
    if (!isBlockWord(w)) {
      stats.lexiconUnusable++;
      continue;
    }
    if (dict.freq(w) > 0) stats.lexiconInDictionary++;
    else words.push(w);
    dict.setFreq(w, dict.suggestFreq(w));
    unpruned.add(w);
  }
  stats.lexicon = lexiconSeen.size;

  // which dictionary nodes do the texts reach (every word starting at every code point of every block)
  let keep: (word: string) => boolean = isBlockWord;
  if (prune) {
    const reached = new Set<number>();
    for (const text of texts) {
      forEachBlock(text, (start, end) => {
        for (let k = start; k < end; k++) {
          let node = 0;
          for (let j = k; j < end; j++) {
            node = trie.child(node, text.charCodeAt(j));
            if (node < 0) break;
            if (trie.nodeFreq(node) > 0) reached.add(node);
          }
        }
      });
    }
    // (starting at a low surrogate reaches nothing: no usable word starts with one)
    keep = (word) => unpruned.has(word) || (isBlockWord(word) && reached.has(trie.find(word)));
  }
  const kept = words.filter(keep).sort();
  const spec: DictSegmenterSpec = {
    kind: 'dict',
    variant,
    total: dict.total,
    words: kept,
    freqs: kept.map((w) => dict.freq(w)),
    meta: {
      source: options.dictionary === undefined ? 'jieba dict.txt (@node-rs/jieba 2.0.3)' : 'custom',
      hmm: false,
      pruned: prune,
      fullWords: source.words.length,
      entities: seen.size,
      ...(lexiconSeen.size > 0 ? { lexicon: unpruned.size } : {}),
    },
  };
  stats.words = kept.length;
  stats.total = dict.total;
  stats.bytes = utf8Bytes(JSON.stringify(spec));
  return { spec, stats };
}
