/**
 * Augmentation for unseen entities (issue 16 point 4): copies of training documents in which entities are
 * replaced by other strings of the same type, so that the network learns to find an entity from its context, not
 * from a memorised string.
 *
 * Replacements come from the training part's own entity strings of that type (distinct strings, drawn uniformly, so
 * rare strings count as much as frequent ones) and, for the types named in `lexiconTypes`, from the words of an
 * outside word list (THUOCL's medical words) typed by their last character (lexiconPools). Applied to the documents
 * the network is fitted on only: dev and test are never augmented, and the vocabularies, the segmenter and the
 * consistency table still come from the original training documents.
 *
 * A copy replaces each entity (of the `types` asked for; every type by default) with probability `prob`; an entity
 * that overlaps another one is never replaced, so every other span moves by whole replaced spans only and no entity
 * is cut. A copy in which nothing was replaced is dropped (it would only repeat its document). Deterministic: the
 * same documents, pools and seed give the same copies.
 */

import type { Doc, EntitySpan } from '../corpus/document.js';
import type { Lexicon } from '../features/index.js';
import type { Sentence } from './batch.js';
import { taggableSentences } from '../text/sentences.js';
import { type FeatureSpace, docsToSentences, featurizer } from './data.js';
import { Rng, hash32 } from './rng.js';

export interface AugmentSettings {
  /** augmented copies of each training document (0 = off) */
  copies: number;
  /** chance that an entity of a copy is replaced, in (0, 1] */
  prob: number;
  /** entity types whose replacements may also be lexicon words (the config's segmenter lexicon; lexiconPools) */
  lexiconTypes: string[];
  /** the entity types that are replaced ([] = every type) */
  types: string[];
}

/** The defaults (config.augment; src/train/config.ts validates the section) */
export const NO_AUGMENT: AugmentSettings = { copies: 0, prob: 0.5, lexiconTypes: [], types: [] };

/** Characters a replacement string may not hold: they would end a sentence or a line inside the entity. */
const BREAKS = /[。！？；!?;｡\r\n\u2028\u2029]/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Replacement strings per entity type. */
export type Pools = Map<string, string[]>;

/** The distinct entity strings of each type in `docs` (sorted; strings holding a sentence or line break left out). */
export function entityPools(docs: readonly Doc[]): Pools {
  const sets = new Map<string, Set<string>>();
  for (const d of docs) {
    for (const e of d.entities) {
      const s = d.text.slice(e.start, e.end);
      if (s.length === 0 || BREAKS.test(s)) continue;
      let set = sets.get(e.type);
      if (!set) sets.set(e.type, (set = new Set()));
      set.add(s);
    }
  }
  return new Map([...sets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, set]) => [t, [...set].sort()]));
}

/**
 * Lexicon words typed by their last character: a word joins type T's pool when at least `minCount` distinct training
 * entity strings of T end in the same character and at least `minShare` of all distinct training entity strings
 * ending in it are of type T (炎, 病 → DISEASE; 术 → TREATMENT). Only the `types` asked for and words of at least two
 * characters; a word that is a training entity of another type only is left out.
 */
export function lexiconPools(
  words: readonly string[],
  docs: readonly Doc[],
  types: readonly string[],
  minCount = 3,
  minShare = 0.8,
): Pools {
  const train = entityPools(docs);
  const ending = new Map<string, Map<string, number>>(); // last char → type → distinct strings
  const typeOf = new Map<string, Set<string>>(); // string → its types in training
  for (const [t, strings] of train) {
    for (const s of strings) {
      const c = s.slice(-1);
      let m = ending.get(c);
      if (!m) ending.set(c, (m = new Map()));
      m.set(t, (m.get(t) ?? 0) + 1);
      let ts = typeOf.get(s);
      if (!ts) typeOf.set(s, (ts = new Set()));
      ts.add(t);
    }
  }
  const pools: Pools = new Map(types.map((t) => [t, []]));
  for (const w of new Set(words)) {
    if (w.length < 2 || BREAKS.test(w)) continue;
    const m = ending.get(w.slice(-1));
    if (!m) continue;
    let all = 0;
    for (const n of m.values()) all += n;
    for (const t of types) {
      const n = m.get(t) ?? 0;
      if (n < minCount || n < minShare * all) continue;
      const known = typeOf.get(w);
      if (known && !known.has(t)) continue;
      pools.get(t)!.push(w);
    }
  }
  for (const list of pools.values()) list.sort();
  return pools;
}

/** Pools a and b joined per type (distinct strings, sorted). */
export function mergePools(a: Pools, b: Pools): Pools {
  const out: Pools = new Map();
  for (const t of [...new Set([...a.keys(), ...b.keys()])].sort())
    out.set(t, [...new Set([...(a.get(t) ?? []), ...(b.get(t) ?? [])])].sort());
  return out;
}

export interface AugmentOptions {
  copies: number;
  prob: number;
  seed: number;
}

/**
 * Augmented copies of `docs` (see the file header). Returns the copies and, for each, the index of its source
 * document in `docs` (to give a copy its source's per-document inputs, e.g. a jackknife lexicon).
 */
export function augmentDocs(
  docs: readonly Doc[],
  pools: Pools,
  options: AugmentOptions,
): { docs: Doc[]; source: number[] } {
  if (!Array.isArray(docs)) throw new TypeError(`augmentDocs: expected an array of documents, got ${describe(docs)}`);
  if (!(pools instanceof Map))
    throw new TypeError(`augmentDocs: expected pools to be a Map of type → strings, got ${describe(pools)}`);
  const { copies, prob, seed } = options;
  if (!(Number.isInteger(copies) && copies >= 0))
    throw new Error(`augmentDocs: copies must be an integer ≥ 0, got ${String(copies)}`);
  if (!(typeof prob === 'number' && prob > 0 && prob <= 1))
    throw new Error(`augmentDocs: prob must be in (0, 1], got ${String(prob)}`);
  if (!(Number.isInteger(seed) && seed >= 0))
    throw new Error(`augmentDocs: seed must be an integer ≥ 0, got ${String(seed)}`);
  const out: Doc[] = [];
  const source: number[] = [];
  const rng = new Rng(hash32(seed, 16));
  docs.forEach((doc, di) => {
    const entities = [...doc.entities].sort((x, y) => x.start - y.start || x.end - y.end);
    // an entity overlapping another one is never replaced
    const alone = entities.map((e, i) => entities.every((o, j) => j === i || o.end <= e.start || o.start >= e.end));
    for (let k = 0; k < copies; k++) {
      const replaced = new Map<number, string>(); // entity index → new string
      entities.forEach((e, i) => {
        if (!alone[i] || rng.next() >= prob) return;
        const pool = pools.get(e.type);
        if (!pool || pool.length === 0) return;
        const old = doc.text.slice(e.start, e.end);
        let s = pool[rng.int(pool.length)];
        if (s === old && pool.length > 1) s = pool[(pool.indexOf(s) + 1 + rng.int(pool.length - 1)) % pool.length];
        if (s !== old) replaced.set(i, s);
      });
      if (replaced.size === 0) continue;
      // the new text, and every offset shifted by the length changes of the replaced spans before it
      let text = '';
      let at = 0;
      const shifts: { end: number; delta: number }[] = [];
      entities.forEach((e, i) => {
        const s = replaced.get(i);
        if (s === undefined) return;
        text += doc.text.slice(at, e.start) + s;
        at = e.end;
        shifts.push({ end: e.end, delta: s.length - (e.end - e.start) });
      });
      text += doc.text.slice(at);
      const move = (x: number) => {
        let y = x;
        for (const sh of shifts) if (sh.end <= x) y += sh.delta;
        return y;
      };
      const moved: EntitySpan[] = entities.map((e, i) => {
        const s = replaced.get(i);
        const start = move(e.start);
        return { start, end: s === undefined ? move(e.end) : start + s.length, type: e.type };
      });
      out.push({ id: `${doc.id}#augment-${k + 1}`, text, entities: moved });
      source.push(di);
    }
  });
  return { docs: out, source };
}

/**
 * The training run's hook: the augmented sentences of the training documents `docs` (none when settings.copies is
 * 0), featurized like the training sentences; a copy gets its source document's lexicon (`lexicons`: one per
 * document, or null). `lexiconWords`: the config's segmenter lexicon, for settings.lexiconTypes.
 */
export function augmentedSentences(
  docs: readonly Doc[],
  space: FeatureSpace,
  f: ReturnType<typeof featurizer>,
  lexicons: readonly Lexicon[] | null,
  settings: AugmentSettings,
  seed: number,
  lexiconWords: readonly string[] | undefined,
  log: (line: string) => void,
): Sentence[] {
  if (settings.copies === 0) return [];
  if (settings.lexiconTypes.length > 0 && !lexiconWords)
    throw new Error('config: augment.lexiconTypes needs a segmenter lexicon (the config names no word list)');
  let pools = entityPools(docs);
  for (const field of ['lexiconTypes', 'types'] as const) {
    for (const t of settings[field]) {
      if (!pools.has(t))
        throw new Error(
          `config: augment.${field}: ${JSON.stringify(t)} is not an entity type of the training documents (${[...pools.keys()].join(', ')})`,
        );
    }
  }
  if (settings.lexiconTypes.length > 0)
    pools = mergePools(pools, lexiconPools(lexiconWords!, docs, settings.lexiconTypes));
  // only the types asked for are replaced: the others get no pool
  if (settings.types.length > 0) pools = new Map([...pools].filter(([t]) => settings.types.includes(t)));
  const made = augmentDocs(docs, pools, { copies: settings.copies, prob: settings.prob, seed });
  const set = docsToSentences(made.docs, space, f, lexicons === null ? null : made.source.map((i) => lexicons[i]));
  // only the sentences a replacement changed: the others repeat their source's sentences
  const original = new Set<string>();
  for (const d of docs)
    for (const s of taggableSentences(d.text, space.normalization))
      original.add(d.text.slice(s.offsets[0], s.offsets[s.tokens.length]));
  const changed: Sentence[] = [];
  set.docs.forEach((d) =>
    d.sentences.forEach((s, i) => {
      const o = d.offsets[i];
      if (!original.has(d.doc.text.slice(o[0], o[o.length - 1]))) changed.push(s);
    }),
  );
  const sizes = [...pools].map(([t, list]) => `${t} ${list.length}`).join(', ');
  log(
    `augment: ${made.docs.length} copies of ${docs.length} training documents, ${changed.length} changed sentences (replacement strings: ${sizes})`,
  );
  return changed;
}
