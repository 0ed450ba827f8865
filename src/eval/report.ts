/** Readable, column-aligned text for an EntityEvalReport (labels and numbers only — never document text). */
import { MISSED, SPURIOUS, type EntityEvalReport, type ErrorCounts, type NoveltyScores, type Prf } from './entities.js';

/** Renders rows as a table: the first column left-aligned, the others right-aligned, two spaces apart. */
export function alignTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat(widths[i] - displayWidth(cell));
          return i === 0 ? cell + pad : pad + cell;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Terminal width of a label: CJK and other wide characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

/** Marks a figure that has no value: a precision with no predicted entities, a recall with no gold ones. */
export const NOT_AVAILABLE = 'n/a';

/**
 * Which of P, R and F1 are defined for these counts: precision needs predicted entities, recall gold ones, and F1
 * either (with gold entities and no predictions it is 0; with neither it is undefined, not 0).
 */
export function definedScores(s: { gold: number; pred: number }): { precision: boolean; recall: boolean; f1: boolean } {
  return { precision: s.pred > 0, recall: s.gold > 0, f1: s.gold + s.pred > 0 };
}

/** A fraction as `digits`-decimal text (scaled by `scale`, 100 for percentages), or n/a when it is undefined. */
export function formatFigure(x: number, defined: boolean, scale = 100, digits = 2): string {
  return defined && Number.isFinite(x) ? (scale * x).toFixed(digits) : NOT_AVAILABLE;
}

/** P, R and F1 of a row of counts as percentage cells, n/a where undefined. */
function prfCells(s: Prf): string[] {
  const d = definedScores(s);
  return [formatFigure(s.precision, d.precision), formatFigure(s.recall, d.recall), formatFigure(s.f1, d.f1)];
}

/**
 * Strict scores of seen and unseen entities (NoveltyScores) as a table: per type, micro and macro, the gold count,
 * P, R and F1 of each class.
 */
export function formatNoveltyTable(novelty: NoveltyScores, types: readonly string[]): string {
  const rows: string[][] = [['type', 'seen gold', 'P', 'R', 'F1', 'unseen gold', 'P', 'R', 'F1']];
  const row = (label: string, a: Prf, b: Prf) => [label, String(a.gold), ...prfCells(a), String(b.gold), ...prfCells(b)];
  for (const t of types) rows.push(row(t, novelty.seen.perType[t], novelty.unseen.perType[t]));
  rows.push(row('micro', novelty.seen.micro, novelty.unseen.micro));
  const macro = (m: { precision: number; recall: number; f1: number }) => [m.precision, m.recall, m.f1].map((x) => formatFigure(x, types.length > 0));
  rows.push(['macro', '', ...macro(novelty.seen.macro), '', ...macro(novelty.unseen.macro)]);
  return alignTable(rows);
}

/** The heading of a seen/unseen table. */
export function noveltyHeading(novelty: NoveltyScores): string {
  return `Seen and unseen entities (strict; unseen: the entity's string never occurs as an entity of its type in training, ${novelty.trainEntities} distinct training entities)`;
}

export interface FormatOptions {
  /** Add the relaxed (overlap) scores beside the strict ones. */
  relaxed?: boolean;
}

export function formatEntityReport(report: EntityEvalReport, options: FormatOptions = {}): string {
  const relaxed = options.relaxed ?? false;
  const out: string[] = [];

  out.push(`Entity-level scores over ${report.docs} documents (strict: exact span and type${relaxed ? '; relaxed: overlapping span, same type' : ''})`);
  const head = ['type', 'gold', 'pred', 'correct', 'P', 'R', 'F1'];
  if (relaxed) head.push('relaxed P', 'relaxed R', 'relaxed F1');
  const row = (label: string, s: Prf, r: Prf): string[] => {
    const cells = [label, String(s.gold), String(s.pred), String(s.matchedGold), ...prfCells(s)];
    if (relaxed) cells.push(...prfCells(r));
    return cells;
  };
  const rows: string[][] = [head];
  for (const t of report.types) rows.push(row(t, report.strict.perType[t], report.relaxed.perType[t]));
  rows.push(row('micro', report.strict.micro, report.relaxed.micro));
  // the macro average is over the types: none (no gold and no predicted entities) leaves it undefined
  const macroCells = (m: { precision: number; recall: number; f1: number }) => [m.precision, m.recall, m.f1].map((x) => formatFigure(x, report.types.length > 0));
  const macro = ['macro', '', '', '', ...macroCells(report.strict.macro)];
  if (relaxed) macro.push(...macroCells(report.relaxed.macro));
  rows.push(macro);
  out.push(alignTable(rows));

  if (report.novelty) out.push('', noveltyHeading(report.novelty), formatNoveltyTable(report.novelty, report.types));

  out.push('', 'Type confusion (rows gold, columns predicted; exact-span matches)');
  const cols = [...report.types, MISSED];
  const conf: string[][] = [['gold \\ pred', ...cols]];
  for (const r of [...report.types, SPURIOUS]) {
    conf.push([r, ...cols.map((c) => (r === SPURIOUS && c === MISSED ? '' : String(report.confusion[r]?.[c] ?? 0)))]);
  }
  out.push(alignTable(conf));

  out.push('', 'Errors (each gold entity in one class; spurious = predictions overlapping no gold entity)');
  const keys: Array<[keyof ErrorCounts, string]> = [
    ['correct', 'correct'],
    ['type', 'type'],
    ['boundary', 'boundary'],
    ['boundaryType', 'boundary+type'],
    ['missed', 'missed'],
    ['spurious', 'spurious'],
  ];
  const errs: string[][] = [['type', ...keys.map(([, label]) => label)]];
  for (const t of report.types) errs.push([t, ...keys.map(([k]) => String(report.errors.perType[t][k]))]);
  errs.push(['total', ...keys.map(([k]) => String(report.errors[k]))]);
  out.push(alignTable(errs));
  return out.join('\n') + '\n';
}
