/**
 * The split and the scores the retraining job (and `cner publish --gate`) compares models on: the train/dev/test
 * split runTraining makes, the test split's id, and an evaluation report in the gate's terms.
 */
import { createHash } from 'node:crypto';
import { compareIds, looksLikeCcksIds, recordIdOf, splitByRecord, type Doc, type Split, type SplitMode } from '../corpus/index.js';
import type { EntityEvalReport, Prf } from '../eval/index.js';
import type { ModelMetrics } from '../store/gate.js';

/** The train/dev/test split runTraining makes of the same documents (seed 2017, records for CCKS ids; the config's mode). */
export function retrainSplit(docs: readonly Doc[], mode: SplitMode = 'random'): Split {
  return splitByRecord(docs, { mode, ...(looksLikeCcksIds(docs) ? { recordKey: recordIdOf } : {}) });
}

/** SHA-256 (hex) of the test documents: the `split` the gate compares. */
export async function testSplitId(test: readonly Doc[]): Promise<string> {
  const h = createHash('sha256');
  for (const d of [...test].sort((a, b) => compareIds(a.id, b.id))) h.update(JSON.stringify([d.id, d.text, d.entities]) + '\n');
  return h.digest('hex');
}

export interface ScoreSummary {
  precision: number;
  recall: number;
  f1: number;
  /** gold entities */
  gold: number;
  /** predicted entities */
  pred: number;
}

export interface ModelScores {
  strict: { micro: ScoreSummary; perType: Record<string, ScoreSummary> };
  relaxed: { micro: ScoreSummary; perType: Record<string, ScoreSummary> };
}

export function summarizeEvaluation(report: EntityEvalReport): ModelScores {
  const one = (p: Prf): ScoreSummary => ({ precision: p.precision, recall: p.recall, f1: p.f1, gold: p.gold, pred: p.pred });
  const set = (s: EntityEvalReport['strict']) => ({
    micro: one(s.micro),
    perType: Object.fromEntries(Object.entries(s.perType).map(([t, p]) => [t, one(p)])),
  });
  return { strict: set(report.strict), relaxed: set(report.relaxed) };
}

/** The gate's view of a model's scores: strict micro P/R/F1 and per-type strict F1, tied to the test split. */
export function toModelMetrics(scores: ModelScores, split: string): ModelMetrics {
  const s = scores.strict;
  return {
    split,
    microF1: s.micro.f1,
    microPrecision: s.micro.precision,
    microRecall: s.micro.recall,
    perType: Object.fromEntries(
      Object.entries(s.perType).map(([t, p]) => [t, { f1: p.f1, precision: p.precision, recall: p.recall, support: p.gold }]),
    ),
  };
}
