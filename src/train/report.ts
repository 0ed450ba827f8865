/**
 * What a training run reports (`cner train`, scripts/train-default.ts, scripts/experiments.ts): the evaluation
 * tables printed after training, the dev line, and the metrics.json document with the model files' ids.
 */
import { readFileSync } from 'node:fs';
import { alignTable, type EntityEvalReport, formatNoveltyTable, noveltyHeading, type Prf } from '../eval/index.js';
import { sha256Hex } from '../model/sha256.js';
import type { ModelEvaluation } from './evaluate.js';
import { formatScore } from './metrics.js';
import type { RunSummary } from './run.js';

const pct = (x: number): string => (100 * x).toFixed(2);

/** Per-type rows then micro and macro: gold count, strict P/R/F1, relaxed P/R/F1. */
export function formatScoreTable(report: EntityEvalReport): string {
  const rows: string[][] = [['type', 'gold', 'pred', 'strict P', 'R', 'F1', 'relaxed P', 'R', 'F1']];
  const row = (label: string, s: Prf, r: Prf) => [
    label,
    String(s.gold),
    String(s.pred),
    pct(s.precision),
    pct(s.recall),
    pct(s.f1),
    pct(r.precision),
    pct(r.recall),
    pct(r.f1),
  ];
  for (const t of report.types) rows.push(row(t, report.strict.perType[t], report.relaxed.perType[t]));
  rows.push(row('micro', report.strict.micro, report.relaxed.micro));
  const ms = report.strict.macro;
  const mr = report.relaxed.macro;
  rows.push([
    'macro',
    '',
    '',
    pct(ms.precision),
    pct(ms.recall),
    pct(ms.f1),
    pct(mr.precision),
    pct(mr.recall),
    pct(mr.f1),
  ]);
  return alignTable(rows);
}

/** F1 per type, micro and macro: strict and relaxed, consistency on and off, for each model given. */
export function formatF1Comparison(models: Record<string, ModelEvaluation>): string {
  const names = Object.keys(models);
  const head = ['type'];
  for (const n of names) head.push(`${n} strict`, 'no-cons', `${n} relaxed`, 'no-cons');
  const rows: string[][] = [head];
  const types = [...new Set(names.flatMap((n) => models[n].withConsistency.types))].sort();
  const cell = (r: EntityEvalReport, kind: 'strict' | 'relaxed', t: string) => {
    if (t === 'micro') return pct(r[kind].micro.f1);
    if (t === 'macro') return pct(r[kind].macro.f1);
    const p = r[kind].perType[t];
    return p ? pct(p.f1) : '-';
  };
  for (const t of [...types, 'micro', 'macro']) {
    const cells = [t];
    for (const n of names) {
      const m = models[n];
      cells.push(
        cell(m.withConsistency, 'strict', t),
        cell(m.withoutConsistency, 'strict', t),
        cell(m.withConsistency, 'relaxed', t),
        cell(m.withoutConsistency, 'relaxed', t),
      );
    }
    rows.push(cells);
  }
  return alignTable(rows);
}

/** The text printed after training: the f32 model's full table (consistency on, then off) and the F1 comparison with int8. */
export function formatEvaluation(evaluation: { f32: ModelEvaluation; int8: ModelEvaluation }): string {
  const e = evaluation.f32;
  return [
    `Test split, document level through the tagger (${e.withConsistency.docs} documents; strict: exact span and type; relaxed: overlapping span, same type)`,
    '',
    'f32 model, consistency check on:',
    formatScoreTable(e.withConsistency),
    '',
    'f32 model, consistency check off:',
    formatScoreTable(e.withoutConsistency),
    '',
    'F1 by model (no-cons = consistency check off):',
    formatF1Comparison({ f32: evaluation.f32, int8: evaluation.int8 }),
    '',
    ...(['f32', 'int8'] as const).flatMap((k) => {
      const r = evaluation[k].withConsistency;
      return r.novelty
        ? [
            `${k} model, consistency check on. ${noveltyHeading(r.novelty)}:`,
            formatNoveltyTable(r.novelty, r.types),
            '',
          ]
        : [];
    }),
    `tagging speed: f32 ${Math.round(evaluation.f32.charsPerSecond)} chars/s, int8 ${Math.round(evaluation.int8.charsPerSecond)} chars/s (one thread)`,
  ].join('\n');
}

/** One line of dev-part figures (document level, consistency on): strict, relaxed, and seen / unseen strict F1. */
export function formatDevLine(e: ModelEvaluation, model = 'int8'): string {
  const r = e.withConsistency;
  const n = r.novelty;
  return (
    `Dev split, document level (${model}, ${r.docs} documents): strict F1 ${pct(r.strict.micro.f1)}, relaxed F1 ${pct(r.relaxed.micro.f1)}` +
    (n
      ? `, seen F1 ${pct(n.seen.micro.f1)} (${n.seen.micro.gold} entities), unseen F1 ${pct(n.unseen.micro.f1)} (${n.unseen.micro.gold} entities)`
      : '')
  );
}

/** The best epoch's dev F1 for reports: 'n/a (no dev sentences)' when the dev split is empty (a final fit, or too few records). */
export function devF1Text(summary: Pick<RunSummary, 'best' | 'data'>, percent = false): string {
  const sentences = (summary.data.dev as { sentences?: number }).sentences ?? 0;
  return sentences > 0 ? formatScore(summary.best.devF1, percent ? 2 : 4, percent) : 'n/a (no dev sentences)';
}

export interface ModelFileInfo {
  path: string;
  bytes: number;
  sha256: string;
}

export function modelFileInfo(path: string): ModelFileInfo {
  const bytes = readFileSync(path);
  return { path, bytes: bytes.length, sha256: sha256Hex(new Uint8Array(bytes)) };
}

/** What `cner train` (and the scripts) write to metrics.json: the run summary plus the model files' ids. */
export function metricsJson(summary: RunSummary, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ev = summary.evaluation;
  const part = (e: ModelEvaluation) => ({
    consistency: e.withConsistency,
    noConsistency: e.withoutConsistency,
    charsPerSecond: e.charsPerSecond,
  });
  return {
    ...extra,
    level: 'document (tagger on whole test documents, src/train/evaluate.ts)',
    split: summary.split,
    best: summary.best,
    stoppedBy: summary.stoppedBy,
    backend: summary.backend,
    epochsRun: summary.history.length,
    seconds: summary.seconds,
    params: summary.params,
    vocab: summary.vocab,
    data: summary.data,
    pretrained: summary.pretrained,
    sentenceLevelTest: summary.test,
    models: { f32: modelFileInfo(summary.models.f32), int8: modelFileInfo(summary.models.int8) },
    test: ev ? { f32: part(ev.f32), int8: part(ev.int8) } : null,
    dev: summary.devEvaluation
      ? { f32: part(summary.devEvaluation.f32), int8: part(summary.devEvaluation.int8) }
      : null,
  };
}
