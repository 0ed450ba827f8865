/**
 * The project's own JSON lines: one document per line,
 * `{"id": "...", "text": "...", "entities": [{"start": 0, "end": 3, "type": "BODY", "text": "..."}]}`,
 * end exclusive, UTF-16 offsets. `entities[].text` is optional on input (checked against the text when present)
 * and always written. A record without "id" gets `<file stem>-<n>`. A leading BOM is skipped.
 */
import type { Doc, EntitySpan } from './document.js';
import { settle, spanProblem, typeProblem, type CorpusIssue, type ParseResult, type ReadOptions } from './issues.js';
import { stemOf } from './yidu.js';

export interface JsonlParseOptions extends ReadOptions {
  /** Prefix for ids of records that have none (default: the file stem, else `doc`). */
  idPrefix?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJsonl(content: string, options: JsonlParseOptions = {}): ParseResult {
  if (typeof content !== 'string') throw new TypeError(`parseJsonl expects a string, got ${typeof content}`);
  const file = options.file ?? 'jsonl';
  const prefix = options.idPrefix ?? stemOf(options.file, 'doc');
  const docs: Doc[] = [];
  const issues: CorpusIssue[] = [];
  const seen = new Set<string>();
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  body.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const lineNo = index + 1;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      issues.push({ file, line: lineNo, message: 'not valid JSON' }); // the parser's message would quote the text
      return;
    }
    if (!isRecord(record) || typeof record.text !== 'string') {
      issues.push({ file, line: lineNo, message: 'expected an object with a string "text"' });
      return;
    }
    if (record.id !== undefined && (typeof record.id !== 'string' || record.id === '')) {
      issues.push({ file, line: lineNo, message: '"id" must be a non-empty string when present' });
      return;
    }
    const id = (record.id as string | undefined) ?? `${prefix}-${docs.length + 1}`;
    if (seen.has(id)) {
      issues.push({ file, line: lineNo, docId: id, message: 'duplicate document id (record skipped)' });
      return;
    }
    seen.add(id);
    const text = record.text;
    const list = record.entities ?? [];
    if (!Array.isArray(list)) {
      issues.push({ file, line: lineNo, docId: id, message: '"entities" must be an array' });
      return;
    }
    const entities: EntitySpan[] = [];
    list.forEach((e: unknown, k: number) => {
      const where = { file, line: lineNo, docId: id };
      if (!isRecord(e) || typeof e.start !== 'number' || typeof e.end !== 'number') {
        issues.push({ ...where, message: `entity ${k}: expected numeric "start" and "end"` });
        return;
      }
      const problem = spanProblem(text, e.start, e.end);
      if (problem) {
        issues.push({ ...where, message: `entity ${k}: ${problem}` });
        return;
      }
      const typeIssue = typeProblem(e.type);
      if (typeIssue) {
        issues.push({ ...where, message: `entity ${k}: ${typeIssue}` });
        return;
      }
      if (e.text !== undefined && e.text !== text.slice(e.start, e.end)) {
        const given = typeof e.text === 'string' ? e.text.length : -1;
        issues.push({ ...where, message: `entity ${k}: "text" (length ${given}) differs from text[${e.start}, ${e.end})` });
        return;
      }
      entities.push({ start: e.start, end: e.end, type: e.type as string });
    });
    docs.push({ id, text, entities });
  });
  return settle({ docs, issues }, options);
}

export function formatJsonl(docs: readonly Doc[]): string {
  return docs
    .map((doc) => {
      const entities = doc.entities.map((e, i) => {
        const problem = spanProblem(doc.text, e.start, e.end);
        if (problem) throw new Error(`JSON lines writer: document ${doc.id} entity ${i}: ${problem}`);
        return { start: e.start, end: e.end, type: e.type, text: doc.text.slice(e.start, e.end) };
      });
      return JSON.stringify({ id: doc.id, text: doc.text, entities }) + '\n';
    })
    .join('');
}
