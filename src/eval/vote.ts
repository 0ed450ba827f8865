/**
 * Span-level voting over the predictions of several models (an ensemble): the spans — exact start, end and type —
 * that at least `minVotes` models predict. Used to measure how far models agree (scripts/agreement.ts) and to label
 * unlabeled text with a teacher ensemble (scripts/pseudo-label.ts).
 */
import type { EntitySpan } from '../corpus/document.js';

/** One model's predictions: a span list per document. */
export type Predictions = EntitySpan[][];

const key = (e: EntitySpan) => `${e.start}:${e.end}:${e.type}`;

/**
 * Per document, the spans that at least `minVotes` of the models predict (each model votes once per span), in text
 * order (start, then end, then type). minVotes 1 = the union, models.length = the unanimous spans. The result may
 * hold overlapping spans: dropOverlaps makes it a flat annotation.
 */
export function voteSpans(models: readonly Predictions[], minVotes: number): Predictions {
  if (!Array.isArray(models) || models.length === 0) throw new Error('voteSpans: expected predictions of at least one model');
  if (!(Number.isInteger(minVotes) && minVotes >= 1 && minVotes <= models.length)) {
    throw new Error(`voteSpans: minVotes must be an integer in [1, ${models.length}], got ${minVotes}`);
  }
  const docs = models[0].length;
  models.forEach((m, i) => {
    if (!Array.isArray(m) || m.length !== docs) throw new Error(`voteSpans: model ${i} has predictions for ${Array.isArray(m) ? m.length : 'no'} documents, model 0 for ${docs}`);
  });
  const out: Predictions = [];
  for (let d = 0; d < docs; d++) {
    const votes = new Map<string, { span: EntitySpan; n: number }>();
    for (const m of models as readonly Predictions[]) {
      const mine = new Map<string, EntitySpan>(m[d].map((e: EntitySpan) => [key(e), e]));
      for (const [k, e] of mine) {
        const v = votes.get(k);
        if (v) v.n++;
        else votes.set(k, { span: { start: e.start, end: e.end, type: e.type }, n: 1 });
      }
    }
    out.push(
      [...votes.values()]
        .filter((v) => v.n >= minVotes)
        .map((v) => v.span)
        .sort((a, b) => a.start - b.start || a.end - b.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)),
    );
  }
  return out;
}

/** A flat annotation from spans that may overlap: in text order, a span overlapping one already kept is dropped (the earlier, then longer, wins). */
export function dropOverlaps(spans: readonly EntitySpan[]): EntitySpan[] {
  const kept: EntitySpan[] = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (!kept.some((k) => k.start < s.end && s.start < k.end)) kept.push(s);
  }
  return kept;
}
