/**
 * Entity-level strict scores over decoded tag paths (exact span and type), for model selection during
 * training. Spans follow conlleval through src/tags/bio.ts; the full evaluator is src/eval/.
 */

import { tagIdsToSpans } from '../tags/bio.js';
import { formatFigure } from '../eval/report.js';

export interface SpanScore {
  precision: number;
  recall: number;
  f1: number;
  gold: number;
  predicted: number;
  correct: number;
}

/** Micro P/R/F1 over all sentences; gold[i] and pred[i] are tag-id paths of equal length. */
export function spanF1(gold: readonly ArrayLike<number>[], pred: readonly ArrayLike<number>[], labels: readonly string[]): SpanScore {
  if (gold.length !== pred.length) throw new Error(`spanF1: expected as many predictions as gold sentences (${gold.length}), got ${pred.length}`);
  let nGold = 0;
  let nPred = 0;
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    if (gold[i].length !== pred[i].length) throw new Error(`spanF1: sentence ${i}: gold length ${gold[i].length}, predicted ${pred[i].length}`);
    const g = tagIdsToSpans(gold[i], labels);
    const p = tagIdsToSpans(pred[i], labels);
    nGold += g.length;
    nPred += p.length;
    const keys = new Set(g.map((s) => `${s.start}:${s.end}:${s.type}`));
    for (const s of p) if (keys.has(`${s.start}:${s.end}:${s.type}`)) correct++;
  }
  const precision = nPred ? correct / nPred : 0;
  const recall = nGold ? correct / nGold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, gold: nGold, predicted: nPred, correct };
}

/** Fraction of positions whose predicted tag equals the gold tag. */
export function tagAccuracy(gold: readonly ArrayLike<number>[], pred: readonly ArrayLike<number>[]): number {
  let n = 0;
  let ok = 0;
  gold.forEach((g, i) => {
    for (let t = 0; t < g.length; t++) {
      n++;
      if (g[t] === pred[i][t]) ok++;
    }
  });
  return n ? ok / n : 0;
}

/** A score for reports and logs: `digits` decimals (×100 with `percent`), or 'n/a' when there is none (an empty split). */
export function formatScore(x: number | null | undefined, digits = 4, percent = false): string {
  return formatFigure(x ?? NaN, x !== null && x !== undefined, percent ? 100 : 1, digits);
}
