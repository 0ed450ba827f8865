/** Readable, column-aligned text for an EntityEvalReport (labels and numbers only — never document text). */
import { MISSED, SPURIOUS, type EntityEvalReport, type ErrorCounts, type Prf } from './entities.js';

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

const pct = (x: number): string => (100 * x).toFixed(2);

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
    const cells = [label, String(s.gold), String(s.pred), String(s.matchedGold), pct(s.precision), pct(s.recall), pct(s.f1)];
    if (relaxed) cells.push(pct(r.precision), pct(r.recall), pct(r.f1));
    return cells;
  };
  const rows: string[][] = [head];
  for (const t of report.types) rows.push(row(t, report.strict.perType[t], report.relaxed.perType[t]));
  rows.push(row('micro', report.strict.micro, report.relaxed.micro));
  const m = report.strict.macro;
  const macro = ['macro', '', '', '', pct(m.precision), pct(m.recall), pct(m.f1)];
  if (relaxed) macro.push(pct(report.relaxed.macro.precision), pct(report.relaxed.macro.recall), pct(report.relaxed.macro.f1));
  rows.push(macro);
  out.push(alignTable(rows));

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
