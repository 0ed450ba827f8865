/**
 * CCKS 2017 Task 2 format (pure string <-> Doc; the folder walking lives in src/io/).
 *
 * On disk: `<section>/<section>-<record>.txtoriginal.txt` holds the raw text and `<section>/<section>-<record>.txt`
 * its entities, one per line: `entity<TAB>start<TAB>end<TAB>type`, end INCLUSIVE, Chinese type names
 * (mapped with CCKS2017_TYPES to BODY/SIGNS/CHECK/DISEASE/TREATMENT; unknown type names pass through unchanged).
 *
 * Text is kept EXACTLY as stored, including its trailing line breaks (the official files end with three or four
 * CRLF pairs, one file with none): `Doc.text` is the whole file, so writing it back is byte-identical and every
 * offset stays valid. Downstream code treats the trailing CR/LF as ordinary non-entity characters.
 * Annotation lines are written with CRLF endings and in the order of `doc.entities`, as the official files are,
 * so an unmodified read → write reproduces both files byte for byte.
 */
import { CCKS2017_TYPES, type Doc, type EntitySpan } from './document.js';
import { settle, spanProblem, typeProblem, type CorpusIssue, type ParseResult, type ReadOptions } from './issues.js';

/** Tag name → CCKS 2017 Chinese type name (the inverse of CCKS2017_TYPES). */
export const CCKS2017_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(CCKS2017_TYPES).map(([zh, tag]) => [tag, zh]),
);

export const CCKS_TEXT_SUFFIX = '.txtoriginal.txt';
export const CCKS_ANN_SUFFIX = '.txt';

/** Splits a CCKS document id `<section>-<record>` (e.g. `病史特点-12`) into its parts. */
export function parseCcksId(id: string): { section: string; record: number } {
  const m = /^(.+)-(\d+)$/.exec(id);
  if (!m) throw new Error(`CCKS document id must look like <section>-<record number>, got ${JSON.stringify(id)}`);
  return { section: m[1], record: Number(m[2]) };
}

export interface CcksParseOptions extends ReadOptions {
  /** Map Chinese type names to tag names with CCKS2017_TYPES (default true). */
  mapTypes?: boolean;
}

/**
 * Parses one section: its id, its raw text and the content of its annotation file.
 * Every line is checked: four tab-separated fields, integer offsets, 0 <= start <= end < text.length, and the
 * entity string equal to text[start..end]. A line with CRLF or LF ending is accepted; a blank last line is ignored.
 */
export function parseCcksDoc(id: string, text: string, annotations: string, options: CcksParseOptions = {}): ParseResult {
  if (typeof text !== 'string' || typeof annotations !== 'string') {
    throw new TypeError(`parseCcksDoc expects text and annotations as strings, got ${typeof text} and ${typeof annotations}`);
  }
  const file = options.file ?? `${id}${CCKS_ANN_SUFFIX}`;
  const mapTypes = options.mapTypes ?? true;
  const issues: CorpusIssue[] = [];
  const entities: EntitySpan[] = [];
  const lines = annotations.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = { file, line: index + 1, docId: id };
    if (line.trim() === '') {
      issues.push({ ...where, message: 'blank annotation line' });
      return;
    }
    const fields = line.split('\t');
    if (fields.length !== 4) {
      issues.push({ ...where, message: `expected 4 tab-separated fields (entity, start, end, type), got ${fields.length}` });
      return;
    }
    const [mention, startField, endField, zhType] = fields;
    if (!/^\d+$/.test(startField) || !/^\d+$/.test(endField)) {
      issues.push({ ...where, message: `start and end must be non-negative integers (field lengths ${startField.length}, ${endField.length})` });
      return;
    }
    const start = Number(startField);
    const end = Number(endField) + 1; // inclusive on disk → exclusive in memory
    const problem = spanProblem(text, start, end);
    if (problem) {
      issues.push({ ...where, message: `span [${startField}, ${endField}] (inclusive): ${problem}` });
      return;
    }
    const slice = text.slice(start, end);
    if (slice !== mention) {
      issues.push({
        ...where,
        message: `entity string (length ${mention.length}) differs from text[${start}..${end - 1}] (length ${slice.length})`,
      });
      return;
    }
    const type = mapTypes ? (CCKS2017_TYPES[zhType] ?? zhType) : zhType;
    const typeIssue = typeProblem(type);
    if (typeIssue) {
      issues.push({ ...where, message: typeIssue });
      return;
    }
    entities.push({ start, end, type });
  });
  return settle({ docs: [{ id, text, entities }], issues }, options);
}

export interface CcksFiles {
  section: string;
  /** Relative paths (forward slashes) of the two files. */
  textPath: string;
  annotationPath: string;
  text: string;
  annotations: string;
}

/**
 * Serialises one document to the two CCKS files. The id must look like `<section>-<record>`; the section is the
 * folder. Tag names are mapped back to the Chinese type names; other type names are written as they are.
 */
export function formatCcksDoc(doc: Doc, options: { mapTypes?: boolean } = {}): CcksFiles {
  const { section } = parseCcksId(doc.id);
  if (/[\\/\0]/.test(doc.id)) throw new Error(`CCKS writer: document id ${JSON.stringify(doc.id)} contains a path separator`);
  const mapTypes = options.mapTypes ?? true;
  const lines = doc.entities.map((e, i) => {
    const problem = spanProblem(doc.text, e.start, e.end);
    if (problem) throw new Error(`CCKS writer: document ${doc.id} entity ${i}: ${problem}`);
    const mention = doc.text.slice(e.start, e.end);
    if (/[\t\r\n]/.test(mention)) {
      throw new Error(`CCKS writer: document ${doc.id} entity ${i} [${e.start}, ${e.end}) contains a tab or line break, which the format cannot hold`);
    }
    const typeName = mapTypes ? (CCKS2017_NAMES[e.type] ?? e.type) : e.type;
    return `${mention}\t${e.start}\t${e.end - 1}\t${typeName}\r\n`;
  });
  return {
    section,
    textPath: `${section}/${doc.id}${CCKS_TEXT_SUFFIX}`,
    annotationPath: `${section}/${doc.id}${CCKS_ANN_SUFFIX}`,
    text: doc.text,
    annotations: lines.join(''),
  };
}
