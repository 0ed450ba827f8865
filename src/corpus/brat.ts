/**
 * BRAT standoff: `<id>.txt` (the text, kept exactly) + `<id>.ann` with text-bound annotations
 * `T<n><TAB><TYPE> <start> <end><TAB><text>` (end exclusive). Offsets are read as UTF-16 code units, which equal
 * brat's code point offsets for texts without astral characters (true of CCKS 2017 and Yidu-S4K).
 *
 * Other annotation kinds (relations R, events E, attributes A/M, normalisations N, notes #) are ignored; a
 * discontinuous text-bound annotation (`start end;start end`) cannot be a Doc span and is reported as an issue.
 * The written text column replaces tab, CR and LF inside a span by spaces (brat's own convention); the
 * reader compares against the text with the same replacement.
 */
import type { Doc, EntitySpan } from './document.js';
import { settle, spanProblem, typeProblem, type CorpusIssue, type ParseResult, type ReadOptions } from './issues.js';

const flatten = (s: string): string => s.replace(/[\t\r\n]/g, ' ');

export function parseBrat(id: string, text: string, annotations: string, options: ReadOptions = {}): ParseResult {
  if (typeof text !== 'string' || typeof annotations !== 'string') {
    throw new TypeError(`parseBrat expects text and annotations as strings, got ${typeof text} and ${typeof annotations}`);
  }
  const file = options.file ?? `${id}.ann`;
  const issues: CorpusIssue[] = [];
  const entities: EntitySpan[] = [];
  const ann = annotations.charCodeAt(0) === 0xfeff ? annotations.slice(1) : annotations;
  ann.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line[0] !== 'T') return;
    const where = { file, line: index + 1, docId: id };
    const fields = line.split('\t');
    if (fields.length < 2) {
      issues.push({ ...where, message: 'text-bound annotation needs "T<n><TAB><type> <start> <end><TAB><text>"' });
      return;
    }
    const m = /^(\S+) (\d+) (\d+)$/.exec(fields[1]);
    if (!m) {
      const discontinuous = fields[1].includes(';');
      issues.push({ ...where, message: discontinuous ? 'discontinuous span: not supported' : 'expected "<type> <start> <end>" in the second field' });
      return;
    }
    const type = m[1];
    const start = Number(m[2]);
    const end = Number(m[3]);
    const problem = spanProblem(text, start, end) ?? typeProblem(type);
    if (problem) {
      issues.push({ ...where, message: `span [${start}, ${end}): ${problem}` });
      return;
    }
    if (fields.length >= 3) {
      const given = fields.slice(2).join('\t');
      if (given !== flatten(text.slice(start, end))) {
        issues.push({ ...where, message: `annotation text (length ${given.length}) differs from text[${start}, ${end})` });
        return;
      }
    }
    entities.push({ start, end, type });
  });
  return settle({ docs: [{ id, text, entities }], issues }, options);
}

/** The `.ann` content of a document (its `.txt` is `doc.text` unchanged). */
export function formatBratAnn(doc: Doc): string {
  return doc.entities
    .map((e, i) => {
      const problem = spanProblem(doc.text, e.start, e.end) ?? typeProblem(e.type);
      if (problem) throw new Error(`BRAT writer: document ${doc.id} entity ${i}: ${problem}`);
      return `T${i + 1}\t${e.type} ${e.start} ${e.end}\t${flatten(doc.text.slice(e.start, e.end))}\n`;
    })
    .join('');
}
