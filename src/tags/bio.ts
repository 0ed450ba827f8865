/**
 * The BIO tag scheme. Tag sets are ['O', 'B-T1', 'I-T1', 'B-T2', 'I-T2', …] with the types sorted by UTF-16
 * code units (the same set in any order gives the same tag set). Spans are token offsets, end exclusive.
 *
 * tagsToSpans follows CoNLL conlleval: B-X always starts an entity; I-X starts a new one unless the previous
 * tag is B-X or I-X of the same type (so "O I-X", "B-Y I-X" start an X entity); O ends an entity.
 */

export interface TagSpan {
  start: number;
  /** exclusive */
  end: number;
  type: string;
}

export const OUTSIDE = 'O';

/** ['O', 'B-T', 'I-T', …] for the distinct types, sorted. */
export function tagSet(types: readonly string[]): string[] {
  if (!Array.isArray(types)) throw new TypeError(`tagSet: expected an array of type names, got ${typeof types}`);
  types.forEach((t, i) => checkType(`tagSet: types[${i}]`, t));
  const sorted = [...new Set(types)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const tags = [OUTSIDE];
  for (const t of sorted) tags.push(`B-${t}`, `I-${t}`);
  return tags;
}

/** The entity types of a tag set, in tag-set order (['O','B-A','I-A','B-B','I-B'] → ['A','B']). */
export function tagTypes(tags: readonly string[]): string[] {
  const types: string[] = [];
  for (const tag of tags) {
    const p = parseTag(tag);
    if (p && p.prefix === 'B' && !types.includes(p.type)) types.push(p.type);
  }
  return types;
}

/** 'B-X' → { prefix: 'B', type: 'X' }; 'O' → null; anything else throws. */
export function parseTag(tag: string): { prefix: 'B' | 'I'; type: string } | null {
  if (tag === OUTSIDE) return null;
  if (typeof tag === 'string' && tag.length > 2 && (tag[0] === 'B' || tag[0] === 'I') && tag[1] === '-') {
    return { prefix: tag[0], type: tag.slice(2) };
  }
  throw new RangeError(`not a BIO tag: expected 'O', 'B-<type>' or 'I-<type>', got ${describeTag(tag)}`);
}

/** BIO tags for a sequence of `length` tokens holding the given (non-overlapping) spans. */
export function spansToTags(length: number, spans: readonly TagSpan[]): string[] {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`spansToTags: length must be a non-negative integer, got ${String(length)}`);
  }
  if (!Array.isArray(spans)) throw new TypeError(`spansToTags: expected an array of spans, got ${typeof spans}`);
  const tags: string[] = new Array(length).fill(OUTSIDE);
  const owner = new Int32Array(length).fill(-1);
  spans.forEach((s, k) => {
    if (!s || !Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end > length || s.start >= s.end) {
      throw new RangeError(
        `spansToTags: span ${k} must have integers 0 ≤ start < end ≤ ${length}, got start=${s?.start} end=${s?.end}`,
      );
    }
    checkType(`spansToTags: span ${k} type`, s.type);
    for (let p = s.start; p < s.end; p++) {
      if (owner[p] >= 0) throw new RangeError(`spansToTags: spans ${owner[p]} and ${k} overlap at position ${p}`);
      owner[p] = k;
      tags[p] = (p === s.start ? 'B-' : 'I-') + s.type;
    }
  });
  return tags;
}

/** Spans of a BIO tag sequence, conlleval semantics, in order. */
export function tagsToSpans(tags: readonly string[]): TagSpan[] {
  if (!Array.isArray(tags)) throw new TypeError(`tagsToSpans: expected an array of tags, got ${typeof tags}`);
  const spans: TagSpan[] = [];
  let cur: TagSpan | null = null;
  for (let p = 0; p < tags.length; p++) {
    const t = parseTag(tags[p]);
    if (t === null) {
      cur = null;
      continue;
    }
    if (t.prefix === 'I' && cur !== null && cur.type === t.type) {
      cur.end = p + 1;
      continue;
    }
    cur = { start: p, end: p + 1, type: t.type };
    spans.push(cur);
  }
  return spans;
}

/**
 * tagsToSpans over tag ids (indices into `labels`), for decoded paths. `labels` is a tag set.
 */
export function tagIdsToSpans(ids: ArrayLike<number>, labels: readonly string[]): TagSpan[] {
  const tags: string[] = new Array(ids.length);
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p];
    if (!Number.isInteger(id) || id < 0 || id >= labels.length) {
      throw new RangeError(`tagIdsToSpans: tag id at position ${p} must be in [0, ${labels.length}), got ${id}`);
    }
    tags[p] = labels[id];
  }
  return tagsToSpans(tags);
}

function checkType(what: string, t: unknown): void {
  if (typeof t !== 'string' || t.length === 0 || /\s/.test(t)) {
    throw new TypeError(`${what}: expected a non-empty type name without whitespace, got ${describeTag(t)}`);
  }
}

function describeTag(t: unknown): string {
  if (typeof t === 'string') return t.length <= 40 ? JSON.stringify(t) : `a string of length ${t.length}`;
  return t === null ? 'null' : typeof t;
}
