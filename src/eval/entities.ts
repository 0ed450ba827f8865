/**
 * Entity-level evaluation of predicted spans against gold spans.
 *
 * - strict: an entity counts when a prediction has exactly its span and type (multiset matching).
 * - relaxed: a gold entity counts as found when some prediction of the same type overlaps it; a prediction
 *   counts as correct when it overlaps some gold entity of the same type (many-to-many, as in i2b2 "lenient"
 *   scoring). recall = matchedGold / gold, precision = matchedPred / pred.
 * - micro: from the summed counts; macro: the unweighted mean of the per-type precision, recall and F1 over every
 *   type seen in gold or predictions (macro F1 is the mean of per-type F1, not F1 of macro P and R).
 *   An empty denominator gives 0 (as conlleval does).
 * - confusion: gold type × predicted type for entities whose spans match exactly (one-to-one, same-type pairs first),
 *   plus a MISSED column (gold with no prediction on exactly its span) and a SPURIOUS row (predictions with no gold
 *   on exactly their span).
 * - errors: each gold entity falls in exactly one class, checked in this order — correct (same span and type),
 *   type (same span, other type), boundary (overlaps a prediction of the same type), boundaryType (overlaps only
 *   predictions of other types), missed (overlaps no prediction); each prediction that overlaps no gold entity is
 *   spurious. Per-type counts use the gold type (the predicted type for spurious).
 * - novelty (only when the training documents are given): strict scores split into SEEN and UNSEEN entities. A gold
 *   entity is unseen when its string (the exact text of its span) never occurs as an entity of its type in the
 *   training documents; a predicted entity likewise, by its own string and predicted type. A strict match has the
 *   same span and type on both sides, so it falls in the same class on both: seen P/R/F1 and unseen P/R/F1 are
 *   ordinary strict scores over each class (per type, micro, macro).
 */
import type { Doc, EntitySpan } from '../corpus/document.js';

export interface Prf {
  gold: number;
  pred: number;
  matchedGold: number;
  matchedPred: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ScoreSet {
  micro: Prf;
  macro: Averages;
  perType: Record<string, Prf>;
}

export interface ErrorCounts {
  correct: number;
  type: number;
  boundary: number;
  boundaryType: number;
  missed: number;
  spurious: number;
}

export const MISSED = '(missed)';
export const SPURIOUS = '(spurious)';

export interface EntityEvalReport {
  docs: number;
  /** Every type seen in gold or predictions, sorted. */
  types: string[];
  strict: ScoreSet;
  relaxed: ScoreSet;
  /** confusion[goldType][predType]; column MISSED, row SPURIOUS. */
  confusion: Record<string, Record<string, number>>;
  errors: ErrorCounts & { perType: Record<string, ErrorCounts> };
  /** seen / unseen strict scores; only when evaluateEntities was given the training documents */
  novelty?: NoveltyScores;
}

/** Strict scores of the entities seen in training and of the unseen ones (see the module comment). */
export interface NoveltyScores {
  /** distinct (type, string) entities of the training documents */
  trainEntities: number;
  seen: ScoreSet;
  unseen: ScoreSet;
}

export type PairBy = 'id' | 'order' | 'auto';

const noveltyKey = (type: string, text: string): string => `${type}\u0000${text}`;

/** The distinct (type, string) entities of the training documents: what counts as seen. */
export function seenEntities(train: readonly Doc[]): Set<string> {
  if (!Array.isArray(train)) throw new TypeError(`seenEntities expects an array of training documents, got ${typeof train}`);
  const seen = new Set<string>();
  for (const d of train) for (const e of d.entities) seen.add(noveltyKey(e.type, d.text.slice(e.start, e.end)));
  return seen;
}

/**
 * Pairs gold and predicted documents. 'id': by document id (both sides must hold the same ids);
 * 'order': by position (same count); 'auto' (default): by id when the id sets agree, else by position.
 * Paired documents must have identical texts.
 */
export function pairDocuments(gold: readonly Doc[], pred: readonly Doc[], pairBy: PairBy = 'auto'): Array<[Doc, Doc]> {
  if (!Array.isArray(gold) || !Array.isArray(pred)) throw new TypeError('pairDocuments expects two arrays of documents');
  const predById = new Map(pred.map((d) => [d.id, d]));
  const idsAgree = predById.size === pred.length && gold.length === pred.length && gold.every((d) => predById.has(d.id));
  let pairs: Array<[Doc, Doc]>;
  if (pairBy === 'id' || (pairBy === 'auto' && idsAgree)) {
    const missing = gold.filter((d) => !predById.has(d.id)).map((d) => d.id);
    const goldIds = new Set(gold.map((d) => d.id));
    const extra = pred.filter((d) => !goldIds.has(d.id)).map((d) => d.id);
    if (missing.length || extra.length || predById.size !== pred.length) {
      const show = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', ...' : '');
      throw new Error(
        `gold and predicted documents do not pair by id: ${missing.length} gold ids without a prediction` +
          (missing.length ? ` (${show(missing)})` : '') +
          `, ${extra.length} predicted ids not in gold` +
          (extra.length ? ` (${show(extra)})` : '') +
          (predById.size !== pred.length ? ', duplicate predicted ids' : ''),
      );
    }
    pairs = gold.map((d) => [d, predById.get(d.id)!]);
  } else {
    if (gold.length !== pred.length) {
      throw new Error(`cannot pair documents: ids differ and the counts differ (gold ${gold.length}, predicted ${pred.length})`);
    }
    pairs = gold.map((d, i) => [d, pred[i]]);
  }
  for (const [g, p] of pairs) {
    if (g.text !== p.text) {
      throw new Error(`document ${g.id} (predicted ${p.id}): gold and predicted texts differ (lengths ${g.text.length} and ${p.text.length})`);
    }
  }
  return pairs;
}

const overlaps = (a: EntitySpan, b: EntitySpan): boolean => a.start < b.end && b.start < a.end;
const spanKey = (e: EntitySpan): string => `${e.start}:${e.end}`;

/** The relaxed criterion: the spans overlap and have the same type. */
const relaxedMatch = (a: EntitySpan, b: EntitySpan): boolean => a.type === b.type && overlaps(a, b);

/**
 * The relaxed criterion's errors as lists (evaluateEntities counts them): gold entities that no prediction of the
 * same type overlaps, and predictions that overlap no gold entity of their type. `pred[i]`: the spans predicted
 * for gold[i].
 */
export function relaxedErrors(gold: readonly Doc[], pred: readonly (readonly EntitySpan[])[]): { missed: { doc: number; e: EntitySpan }[]; spurious: { doc: number; e: EntitySpan }[] } {
  if (pred.length !== gold.length) throw new Error(`relaxedErrors: ${pred.length} prediction lists for ${gold.length} documents`);
  const missed: { doc: number; e: EntitySpan }[] = [];
  const spurious: { doc: number; e: EntitySpan }[] = [];
  gold.forEach((g, d) => {
    for (const e of g.entities) if (!pred[d].some((p) => relaxedMatch(p, e))) missed.push({ doc: d, e });
    for (const p of pred[d]) if (!g.entities.some((e) => relaxedMatch(p, e))) spurious.push({ doc: d, e: p });
  });
  return { missed, spurious };
}

function prf(gold: number, pred: number, matchedGold: number, matchedPred: number): Prf {
  const precision = pred > 0 ? matchedPred / pred : 0;
  const recall = gold > 0 ? matchedGold / gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { gold, pred, matchedGold, matchedPred, precision, recall, f1 };
}

interface Tally {
  gold: number;
  pred: number;
  matchedGold: number;
  matchedPred: number;
}

function scoreSet(tallies: Map<string, Tally>, types: string[]): ScoreSet {
  const perType: Record<string, Prf> = {};
  const sum: Tally = { gold: 0, pred: 0, matchedGold: 0, matchedPred: 0 };
  for (const t of types) {
    const c = tallies.get(t) ?? { gold: 0, pred: 0, matchedGold: 0, matchedPred: 0 };
    perType[t] = prf(c.gold, c.pred, c.matchedGold, c.matchedPred);
    sum.gold += c.gold;
    sum.pred += c.pred;
    sum.matchedGold += c.matchedGold;
    sum.matchedPred += c.matchedPred;
  }
  const n = types.length;
  const mean = (k: keyof Averages) => (n > 0 ? types.reduce((s, t) => s + perType[t][k], 0) / n : 0);
  return {
    micro: prf(sum.gold, sum.pred, sum.matchedGold, sum.matchedPred),
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    perType,
  };
}

const zeroErrors = (): ErrorCounts => ({ correct: 0, type: 0, boundary: 0, boundaryType: 0, missed: 0, spurious: 0 });

export interface EvaluateOptions {
  pairBy?: PairBy;
  /** the training documents: adds `novelty` (seen / unseen entity scores) to the report */
  train?: readonly Doc[];
}

/** Scores predicted documents against gold documents (see the module comment for every definition). */
export function evaluateEntities(gold: readonly Doc[], pred: readonly Doc[], options: EvaluateOptions = {}): EntityEvalReport {
  const pairs = pairDocuments(gold, pred, options.pairBy ?? 'auto');
  const seen = options.train === undefined ? null : seenEntities(options.train);
  const seenTally = new Map<string, Tally>();
  const unseenTally = new Map<string, Tally>();
  const noveltyOf = (d: Doc, e: EntitySpan): Map<string, Tally> => (seen!.has(noveltyKey(e.type, d.text.slice(e.start, e.end))) ? seenTally : unseenTally);
  const strict = new Map<string, Tally>();
  const relaxed = new Map<string, Tally>();
  const confusionCounts = new Map<string, Map<string, number>>();
  const errorsPerType = new Map<string, ErrorCounts>();
  const typeSet = new Set<string>();
  const tally = (m: Map<string, Tally>, t: string): Tally => {
    let c = m.get(t);
    if (!c) m.set(t, (c = { gold: 0, pred: 0, matchedGold: 0, matchedPred: 0 }));
    return c;
  };
  const bump = (row: string, col: string): void => {
    let r = confusionCounts.get(row);
    if (!r) confusionCounts.set(row, (r = new Map()));
    r.set(col, (r.get(col) ?? 0) + 1);
  };
  const errorsOf = (t: string): ErrorCounts => {
    let e = errorsPerType.get(t);
    if (!e) errorsPerType.set(t, (e = zeroErrors()));
    return e;
  };

  for (const [g, p] of pairs) {
    for (const e of g.entities) typeSet.add(e.type);
    for (const e of p.entities) typeSet.add(e.type);

    // strict: multiset of (span, type)
    const predKeys = new Map<string, number>();
    for (const e of p.entities) {
      const k = `${spanKey(e)}:${e.type}`;
      predKeys.set(k, (predKeys.get(k) ?? 0) + 1);
      tally(strict, e.type).pred++;
      tally(relaxed, e.type).pred++;
      if (seen) tally(noveltyOf(p, e), e.type).pred++;
    }
    for (const e of g.entities) {
      tally(strict, e.type).gold++;
      tally(relaxed, e.type).gold++;
      const novelty = seen ? tally(noveltyOf(g, e), e.type) : null;
      if (novelty) novelty.gold++;
      const k = `${spanKey(e)}:${e.type}`;
      const left = predKeys.get(k) ?? 0;
      if (left > 0) {
        predKeys.set(k, left - 1);
        tally(strict, e.type).matchedGold++;
        tally(strict, e.type).matchedPred++;
        // the same span and type in the same text: the same string, so the same class on both sides
        if (novelty) {
          novelty.matchedGold++;
          novelty.matchedPred++;
        }
      }
    }

    // relaxed: overlap with the same type, counted on each side
    for (const e of g.entities) if (p.entities.some((q) => relaxedMatch(e, q))) tally(relaxed, e.type).matchedGold++;
    for (const q of p.entities) if (g.entities.some((e) => relaxedMatch(e, q))) tally(relaxed, q.type).matchedPred++;

    // confusion: one-to-one on identical spans, same-type pairs first
    const bySpan = new Map<string, { gold: string[]; pred: string[] }>();
    const slot = (e: EntitySpan) => {
      let s = bySpan.get(spanKey(e));
      if (!s) bySpan.set(spanKey(e), (s = { gold: [], pred: [] }));
      return s;
    };
    for (const e of g.entities) slot(e).gold.push(e.type);
    for (const e of p.entities) slot(e).pred.push(e.type);
    for (const s of bySpan.values()) {
      const goldLeft = [...s.gold].sort();
      const predLeft = [...s.pred].sort();
      for (let i = goldLeft.length - 1; i >= 0; i--) {
        const j = predLeft.indexOf(goldLeft[i]);
        if (j >= 0) {
          bump(goldLeft[i], goldLeft[i]);
          goldLeft.splice(i, 1);
          predLeft.splice(j, 1);
        }
      }
      while (goldLeft.length && predLeft.length) bump(goldLeft.shift()!, predLeft.shift()!);
      for (const t of goldLeft) bump(t, MISSED);
      for (const t of predLeft) bump(SPURIOUS, t);
    }

    // error classes
    for (const e of g.entities) {
      const errs = errorsOf(e.type);
      const same = p.entities.filter((q) => q.start === e.start && q.end === e.end);
      if (same.some((q) => q.type === e.type)) errs.correct++;
      else if (same.length > 0) errs.type++;
      else if (p.entities.some((q) => q.type === e.type && overlaps(e, q))) errs.boundary++;
      else if (p.entities.some((q) => overlaps(e, q))) errs.boundaryType++;
      else errs.missed++;
    }
    for (const q of p.entities) if (!g.entities.some((e) => overlaps(e, q))) errorsOf(q.type).spurious++;
  }

  const types = [...typeSet].sort();
  const confusion: Record<string, Record<string, number>> = {};
  for (const row of [...types, SPURIOUS]) {
    confusion[row] = {};
    for (const col of [...types, MISSED]) {
      if (row === SPURIOUS && col === MISSED) continue;
      confusion[row][col] = confusionCounts.get(row)?.get(col) ?? 0;
    }
  }
  const total = zeroErrors();
  const perType: Record<string, ErrorCounts> = {};
  for (const t of types) {
    perType[t] = errorsPerType.get(t) ?? zeroErrors();
    for (const k of Object.keys(total) as Array<keyof ErrorCounts>) total[k] += perType[t][k];
  }
  return {
    docs: pairs.length,
    types,
    strict: scoreSet(strict, types),
    relaxed: scoreSet(relaxed, types),
    confusion,
    errors: { ...total, perType },
    ...(seen ? { novelty: { trainEntities: seen.size, seen: scoreSet(seenTally, types), unseen: scoreSet(unseenTally, types) } } : {}),
  };
}
