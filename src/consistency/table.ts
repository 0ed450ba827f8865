/**
 * The consistency check: a table, built from the training documents, of how often each entity string was
 * annotated with each type. At tagging time an entity whose string the table knows, with a different
 * MAJORITY type, is retyped to that type and marked `corrected` (the model's type is kept as
 * `originalType`). Boundaries are never changed and no entity is added or removed.
 *
 * Keys are entity strings after normalize() with the model's normalisation options, so full-width and
 * half-width spellings share an entry. The table is plain JSON and lives in the model header.
 */

import type { Doc, EntitySpan } from '../corpus/document.js';
import { normalize, normalizeText, resolveNormalizeOptions, type NormalizeOptions } from '../text/normalize.js';

export interface ConsistencyTable {
  version: 1;
  /** normalised entity string → type → number of annotations */
  entries: Record<string, Record<string, number>>;
}

export interface ConsistencyOptions {
  /** the majority type needs at least this many annotations (default 1) */
  minCount?: number;
  /** and more than this share of the string's annotations (default 0.5: a strict majority) */
  minShare?: number;
}

export interface TypedEntity {
  type: string;
  text: string;
}

export type Corrected<E extends TypedEntity> = E & { corrected?: true; originalType?: string };

/** Count (normalised entity string, type) annotations over the documents. */
export function buildConsistencyTable(docs: readonly Doc[], normalization?: NormalizeOptions): ConsistencyTable {
  if (!Array.isArray(docs)) throw new TypeError(`buildConsistencyTable: expected an array of documents, got ${typeof docs}`);
  const entries: Record<string, Record<string, number>> = Object.create(null);
  docs.forEach((doc: Doc, d: number) => {
    if (!doc || typeof doc.text !== 'string' || !Array.isArray(doc.entities)) {
      throw new TypeError(`buildConsistencyTable: document ${d} must have a string text and an entities array`);
    }
    doc.entities.forEach((e: EntitySpan, k: number) => {
      if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end > doc.text.length || e.start >= e.end) {
        throw new RangeError(
          `buildConsistencyTable: document ${d} entity ${k} has start=${e.start} end=${e.end}, text length ${doc.text.length}`,
        );
      }
      if (typeof e.type !== 'string' || e.type.length === 0) {
        throw new TypeError(`buildConsistencyTable: document ${d} entity ${k} has no type`);
      }
      const key = normalize(doc.text.slice(e.start, e.end), normalization).text;
      const types = (entries[key] ??= Object.create(null) as Record<string, number>);
      types[e.type] = (types[e.type] ?? 0) + 1;
    });
  });
  return { version: 1, entries };
}

/** Size figures of a table: distinct strings, distinct (string, type) pairs, strings with more than one type. */
export function consistencyStats(table: ConsistencyTable): { strings: number; pairs: number; ambiguous: number } {
  checkTable(table);
  let strings = 0;
  let pairs = 0;
  let ambiguous = 0;
  for (const key of Object.keys(table.entries)) {
    const n = Object.keys(table.entries[key]).length;
    strings++;
    pairs += n;
    if (n > 1) ambiguous++;
  }
  return { strings, pairs, ambiguous };
}

/** The majority type of a normalised entity string under the options, or null (unknown, tie, too rare). */
export function majorityType(table: ConsistencyTable, key: string, options: ConsistencyOptions = {}): string | null {
  if (!Object.hasOwn(table.entries, key)) return null;
  return majorityOf(table.entries[key], options.minCount ?? 1, options.minShare ?? 0.5, false);
}

/**
 * The majority type of one entry's counts (type → count), or null (empty, tie, too rare). With `check`, each count
 * is also checked as checkTable does, in the same pass (compileConsistency: one pass over the table at load).
 */
function majorityOf(counts: Record<string, number>, minCount: number, minShare: number, check: boolean): string | null {
  let best: string | null = null;
  let bestCount = 0;
  let total = 0;
  let tie = false;
  for (const type of Object.keys(counts)) {
    const c = counts[type];
    if (check) checkCount(type, c);
    total += c;
    if (c > bestCount) {
      best = type;
      bestCount = c;
      tie = false;
    } else if (c === bestCount) tie = true;
  }
  if (best === null || tie || bestCount < minCount || bestCount <= minShare * total) return null;
  return best;
}

/**
 * A consistency check compiled from one table: entities in, retyped copies out (see applyConsistency). With
 * { inPlace: true } the entities themselves are retyped and the same array is returned: for a caller that owns them
 * (the tagger's fresh entities).
 */
export type ConsistencyCheck = <E extends TypedEntity>(entities: readonly E[], how?: { inPlace?: boolean }) => Corrected<E>[];

/**
 * The check compiled once per table (the tagger does this at load): the table's shape is checked and every
 * string's majority type found here, so checking a document costs one normalise and one map look-up per
 * entity, whatever the size of the table. Later changes to `table` do not reach the compiled check.
 */
export function compileConsistency(
  table: ConsistencyTable,
  options: ConsistencyOptions & { normalization?: NormalizeOptions } = {},
): ConsistencyCheck {
  checkTableShape(table);
  const normalization = resolveNormalizeOptions(options.normalization);
  const minCount = options.minCount ?? 1;
  const minShare = options.minShare ?? 0.5;
  // one pass: each entry is checked (as checkTable does) while its majority type is found
  const majority = new Map<string, string>(); // normalised entity string → its majority type
  const entries = table.entries;
  for (const key of Object.keys(entries)) {
    const counts = entries[key];
    checkCounts(counts);
    const type = majorityOf(counts, minCount, minShare, true);
    if (type !== null) majority.set(key, type);
  }
  return <E extends TypedEntity>(entities: readonly E[], how?: { inPlace?: boolean }): Corrected<E>[] => {
    if (!Array.isArray(entities)) throw new TypeError(`applyConsistency: expected an array of entities, got ${typeof entities}`);
    for (let k = 0; k < entities.length; k++) {
      const e = entities[k];
      if (!e || typeof e.text !== 'string' || typeof e.type !== 'string') {
        throw new TypeError(`applyConsistency: entity ${k} needs string 'text' and 'type'`);
      }
    }
    // every entity checked first: a bad one changes nothing
    const inPlace = how?.inPlace === true;
    const out: Corrected<E>[] = inPlace ? (entities as Corrected<E>[]) : [];
    for (const e of entities) {
      const c: Corrected<E> = inPlace ? e : { ...e };
      const major = majority.get(normalizeText(e.text, normalization));
      if (major !== undefined && major !== e.type) {
        const originalType = e.type; // read before c (which may be e) changes
        (c as TypedEntity).type = major;
        c.corrected = true;
        c.originalType = originalType;
      }
      if (!inPlace) out.push(c);
    }
    return out;
  };
}

/**
 * Retype entities whose (normalised) string has a different majority type in the table. Returns new
 * objects; the input is not modified. For many documents against one table, compileConsistency once.
 */
export function applyConsistency<E extends TypedEntity>(
  entities: readonly E[],
  table: ConsistencyTable,
  options: ConsistencyOptions & { normalization?: NormalizeOptions } = {},
): Corrected<E>[] {
  if (!Array.isArray(entities)) throw new TypeError(`applyConsistency: expected an array of entities, got ${typeof entities}`);
  return compileConsistency(table, options)(entities);
}

/** Check the shape of a table (e.g. one read from a model header). */
export function checkTable(table: unknown): asserts table is ConsistencyTable {
  checkTableShape(table);
  for (const key of Object.keys(table.entries)) {
    const counts = table.entries[key];
    checkCounts(counts);
    for (const type of Object.keys(counts)) checkCount(type, counts[type]);
  }
}

function checkTableShape(table: unknown): asserts table is ConsistencyTable {
  const t = table as ConsistencyTable;
  if (!t || typeof t !== 'object' || t.version !== 1 || !t.entries || typeof t.entries !== 'object' || Array.isArray(t.entries)) {
    throw new TypeError('consistency table: expected { version: 1, entries: { string: { type: count } } }');
  }
}

function checkCounts(counts: unknown): asserts counts is Record<string, number> {
  if (!counts || typeof counts !== 'object' || Array.isArray(counts)) {
    throw new TypeError('consistency table: each entry must be an object of type → count');
  }
}

function checkCount(type: string, c: unknown): void {
  if (!Number.isInteger(c) || (c as number) < 1) throw new TypeError(`consistency table: count for type ${JSON.stringify(type)} must be a positive integer`);
}
