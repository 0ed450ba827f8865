/**
 * Yidu-S4K (CCKS 2019 Task 1) JSON lines: `{"originalText": "...", "entities": [{"label_type": "解剖部位",
 * "start_pos": 8, "end_pos": 11, "overlap": 0}, ...]}` — end_pos EXCLUSIVE. A leading UTF-8 BOM is skipped
 * (the official part1 file has one). Records carry no id: record n (1-based) of a file with stem S gets the
 * id `S-n`, e.g. `subtask1_training_part1-17`.
 *
 * Label types are mapped to tag names with YIDU_TYPES (unknown labels pass through); writing maps them back.
 * Lines are written in the official style (Python json.dumps separators, keys in the order of the official
 * part2 file, `overlap` 0) with a final newline.
 */
import type { Doc, EntitySpan } from './document.js';
import { settle, spanProblem, typeProblem, type CorpusIssue, type ParseResult, type ReadOptions } from './issues.js';

/** Yidu-S4K label types ↔ tag names. */
export const YIDU_TYPES: Readonly<Record<string, string>> = {
  疾病和诊断: 'DISEASE',
  影像检查: 'IMAGE',
  实验室检验: 'LAB',
  手术: 'SURGERY',
  药物: 'DRUG',
  解剖部位: 'ANATOMY',
};

/** Tag name → Yidu-S4K label type. */
export const YIDU_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(YIDU_TYPES).map(([zh, tag]) => [tag, zh]),
);

export interface YiduParseOptions extends ReadOptions {
  /** Id prefix (default: `file` without folders and extension, else `yidu`). */
  idPrefix?: string;
  /** Map label types with YIDU_TYPES (default true). */
  mapTypes?: boolean;
}

/** Default id prefix for line-based formats: the file's base name without its extension. */
export function stemOf(file: string | undefined, fallback: string): string {
  if (!file) return fallback;
  const base = file.split(/[\\/]/).pop() ?? file;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseYidu(content: string, options: YiduParseOptions = {}): ParseResult {
  if (typeof content !== 'string') throw new TypeError(`parseYidu expects a string, got ${typeof content}`);
  const file = options.file ?? 'yidu';
  const prefix = options.idPrefix ?? stemOf(options.file, 'yidu');
  const mapTypes = options.mapTypes ?? true;
  const docs: Doc[] = [];
  const issues: CorpusIssue[] = [];
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  body.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const lineNo = index + 1;
    const id = `${prefix}-${docs.length + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      // The JSON error message quotes the input, which is clinical text: report the line only.
      issues.push({ file, line: lineNo, message: 'not valid JSON' });
      return;
    }
    if (!isRecord(record) || typeof record.originalText !== 'string' || !Array.isArray(record.entities)) {
      issues.push({ file, line: lineNo, message: 'expected an object with "originalText" (string) and "entities" (array)' });
      return;
    }
    const text = record.originalText;
    const entities: EntitySpan[] = [];
    record.entities.forEach((e: unknown, k: number) => {
      const where = { file, line: lineNo, docId: id };
      if (!isRecord(e) || typeof e.start_pos !== 'number' || typeof e.end_pos !== 'number') {
        issues.push({ ...where, message: `entity ${k}: expected numeric "start_pos" and "end_pos"` });
        return;
      }
      const problem = spanProblem(text, e.start_pos, e.end_pos);
      if (problem) {
        issues.push({ ...where, message: `entity ${k}: ${problem}` });
        return;
      }
      const label = e.label_type;
      const type = typeof label === 'string' && mapTypes ? (YIDU_TYPES[label] ?? label) : label;
      const typeIssue = typeProblem(type);
      if (typeIssue) {
        issues.push({ ...where, message: `entity ${k}: ${typeIssue}` });
        return;
      }
      entities.push({ start: e.start_pos, end: e.end_pos, type: type as string });
    });
    docs.push({ id, text, entities });
  });
  return settle({ docs, issues }, options);
}

/** Serialises documents as Yidu-S4K JSON lines (ids are not stored: the format has no field for them). */
export function formatYidu(docs: readonly Doc[], options: { mapTypes?: boolean } = {}): string {
  const mapTypes = options.mapTypes ?? true;
  return docs
    .map((doc) => {
      const entities = doc.entities.map((e, i) => {
        const problem = spanProblem(doc.text, e.start, e.end);
        if (problem) throw new Error(`Yidu writer: document ${doc.id} entity ${i}: ${problem}`);
        const label = mapTypes ? (YIDU_NAMES[e.type] ?? e.type) : e.type;
        return `{"label_type": ${JSON.stringify(label)}, "overlap": 0, "start_pos": ${e.start}, "end_pos": ${e.end}}`;
      });
      return `{"originalText": ${JSON.stringify(doc.text)}, "entities": [${entities.join(', ')}]}\n`;
    })
    .join('');
}
