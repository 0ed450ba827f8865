/**
 * Inputs of `cner tag`: documents to tag, read lazily so huge files stream.
 *
 * - jsonl: one JSON object a line with a string "text" (and usually an "id"); the object is kept whole so the
 *   output can be the same object with "entities" added. A bad line (not JSON, no string text) becomes a
 *   failure item naming its line number — never its content.
 * - text: plain text, one document a line (blank lines skipped; their numbers still count).
 * - ccks: a folder of CCKS 2017 `<section>/<id>.txtoriginal.txt` files (annotation files are not needed).
 * - brat: a folder of BRAT `<id>.txt` files (the `.ann` files are not needed).
 * - `-`: stdin, as text or jsonl lines.
 * Inputs are decoded strictly (UTF-8 by default, or GB18030 / GBK), line by line: a line with invalid bytes, or
 * one longer than the line limit (default 1,000,000 characters), is reported with its line number and skipped,
 * and the run goes on. A leading BOM is skipped; CRLF and LF line ends are both accepted.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CCKS_TEXT_SUFFIX } from '../../../corpus/index.js';
import { listFiles, readTextFile, type InputEncoding } from '../../../io/corpus-io.js';

export const INPUT_FORMATS = ['jsonl', 'text', 'ccks', 'brat'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** A document to tag. */
export interface InputDoc {
  kind: 'doc';
  /** 0-based position among the documents of the input (failures not counted) */
  index: number;
  /** document id: the record's "id", the file name stem, or `line-<n>` */
  id: string;
  text: string;
  /** 1-based line number (line inputs) */
  line?: number;
  /** file the document came from, relative to the input root (folder inputs) */
  file?: string;
  /** jsonl: the whole input object (its "entities" are replaced in the output) */
  record?: Record<string, unknown>;
  /** progress units consumed so far (bytes for line files, files for folders) */
  progress: number;
}

/** An input record that could not be read; `where` names a line or file, `message` never holds the text. */
export interface InputFailure {
  kind: 'failure';
  where: string;
  message: string;
  progress: number;
}

export type InputItem = InputDoc | InputFailure;

export interface InputSource {
  format: InputFormat;
  /** progress units in all (bytes of the file, number of files); 0 when unknown (stdin) */
  total: number;
  items: AsyncIterable<InputItem>;
}

/** Text encodings of inputs (files, folders and stdin): the corpus readers' list. */
export { INPUT_ENCODINGS, type InputEncoding } from '../../../io/corpus-io.js';

/** The longest line (or document) read by default, in characters (UTF-16 code units). */
export const DEFAULT_MAX_LINE_CHARS = 1_000_000;

export interface LineOptions {
  /** default utf-8 */
  encoding?: InputEncoding;
  /** longer lines are reported and skipped (default DEFAULT_MAX_LINE_CHARS) */
  maxLineChars?: number;
}

/** A line of a line input, or one that could not be read (too long, bad bytes): `message` never holds its text. */
export type Line =
  | { kind: 'line'; number: number; text: string; progress: number }
  | { kind: 'bad'; number: number; message: string; progress: number };

/** The most bytes a line of `chars` UTF-16 code units can take in the encodings above (GB18030: 4 bytes a unit). */
const MAX_BYTES_PER_UNIT = 4;

const concat = (parts: Uint8Array[], length: number): Uint8Array => {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
};

/**
 * Splits a byte stream into lines (1-based numbers): `\n` or `\r\n` ends a line, a leading BOM is skipped, each line
 * is decoded strictly on its own, so a line with bytes that are not valid in the encoding, or one longer than
 * `maxLineChars`, becomes a `bad` line and the next lines still come. A too-long line is never held whole: past
 * the most bytes that many characters can take, its bytes are dropped up to the line end.
 */
export async function* readLines(stream: Readable | AsyncIterable<Uint8Array | string>, options: LineOptions = {}): AsyncGenerator<Line> {
  const encoding = options.encoding ?? 'utf-8';
  const maxChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const maxBytes = maxChars * MAX_BYTES_PER_UNIT;
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  const tooLong = `line longer than ${maxChars} characters (skipped; see --max-line-chars)`;
  let parts: Uint8Array[] = [];
  let length = 0;
  let overflow = false;
  let number = 0;
  let consumed = 0;

  const finish = (progress: number): Line => {
    number++;
    const bytes = concat(parts, length);
    const wasOverflow = overflow;
    parts = [];
    length = 0;
    overflow = false;
    if (wasOverflow) return { kind: 'bad', number, message: tooLong, progress };
    let text: string;
    try {
      text = decoder.decode(bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.subarray(0, bytes.length - 1) : bytes);
    } catch {
      return { kind: 'bad', number, message: `not valid ${encoding} (line skipped)`, progress };
    }
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > maxChars) return { kind: 'bad', number, message: tooLong, progress };
    return { kind: 'line', number, text, progress };
  };
  const take = (piece: Uint8Array) => {
    if (overflow || piece.length === 0) return;
    length += piece.length;
    if (length > maxBytes) {
      overflow = true;
      parts = [];
      length = 0;
    } else parts.push(piece);
  };

  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    let at = 0;
    for (let nl = bytes.indexOf(10, at); nl >= 0; nl = bytes.indexOf(10, at)) {
      take(bytes.subarray(at, nl));
      yield finish(consumed + nl + 1);
      at = nl + 1;
    }
    take(bytes.subarray(at));
    consumed += bytes.length;
  }
  if (length > 0 || overflow) yield finish(consumed);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON lines documents from a stream of lines. */
export async function* jsonlItems(lines: AsyncIterable<Line>, label: string): AsyncGenerator<InputItem> {
  let index = 0;
  for await (const l of lines) {
    const { number: lineNo, progress } = l;
    const where = `${label}:${lineNo}`;
    if (l.kind === 'bad') {
      yield { kind: 'failure', where, message: l.message, progress };
      continue;
    }
    const line = l.text;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      yield { kind: 'failure', where, message: 'not valid JSON', progress }; // the parser's message would quote the text
      continue;
    }
    if (!isRecord(record)) {
      yield { kind: 'failure', where, message: `expected a JSON object, got ${Array.isArray(record) ? 'an array' : typeof record}`, progress };
      continue;
    }
    if (typeof record.text !== 'string') {
      const got = record.text === undefined ? 'no "text"' : `"text" of type ${record.text === null ? 'null' : typeof record.text}`;
      yield { kind: 'failure', where, message: `expected a string "text", got ${got}`, progress };
      continue;
    }
    const rawId = record.id;
    if (rawId !== undefined && !((typeof rawId === 'string' && rawId !== '') || (typeof rawId === 'number' && Number.isFinite(rawId)))) {
      yield { kind: 'failure', where, message: '"id" must be a non-empty string or a number when present', progress };
      continue;
    }
    const id = rawId === undefined ? `line-${lineNo}` : String(rawId);
    yield { kind: 'doc', index: index++, id, text: record.text, line: lineNo, record, progress };
  }
}

/** Plain text documents, one a line (blank lines skipped). */
export async function* textItems(lines: AsyncIterable<Line>, label: string): AsyncGenerator<InputItem> {
  let index = 0;
  for await (const l of lines) {
    if (l.kind === 'bad') {
      yield { kind: 'failure', where: `${label}:${l.number}`, message: l.message, progress: l.progress };
      continue;
    }
    if (l.text.trim() === '') continue;
    yield { kind: 'doc', index: index++, id: `line-${l.number}`, text: l.text, line: l.number, progress: l.progress };
  }
}

/** Documents of a folder: every file ending with `suffix`, id = its name without the suffix, text = the whole file. */
async function* folderItems(files: string[], root: string, suffix: string, options: LineOptions): AsyncGenerator<InputItem> {
  const encoding = options.encoding ?? 'utf-8';
  const maxChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const seen = new Set<string>();
  let index = 0;
  for (let k = 0; k < files.length; k++) {
    const f = files[k];
    const rel = path.relative(root, f);
    const id = path.basename(f).slice(0, -suffix.length);
    const failure = (message: string): InputFailure => ({ kind: 'failure', where: rel, message, progress: k + 1 });
    if (seen.has(id)) {
      yield failure(`duplicate document id ${JSON.stringify(id)} (file skipped)`);
      continue;
    }
    seen.add(id);
    const size = await stat(f).then((s) => s.size, () => -1);
    if (size > maxChars * MAX_BYTES_PER_UNIT) {
      yield failure(`document longer than ${maxChars} characters (file skipped; see --max-line-chars)`);
      continue;
    }
    let text: string;
    try {
      text = await readTextFile(f, encoding);
    } catch (e) {
      yield failure(e instanceof Error && /not valid/.test(e.message) ? `not valid ${encoding} (file skipped)` : 'cannot be read');
      continue;
    }
    if (text.length > maxChars) {
      yield failure(`document longer than ${maxChars} characters (file skipped; see --max-line-chars)`);
      continue;
    }
    yield { kind: 'doc', index: index++, id, text, file: rel, progress: k + 1 };
  }
}

/** Format of an input path: ccks / brat for folders (by their files), jsonl or text for files (by the first line). */
export async function detectInputFormat(p: string, options: LineOptions = {}): Promise<InputFormat> {
  const info = await stat(p);
  if (info.isDirectory()) {
    const files = await listFiles(p);
    if (files.some((f) => f.endsWith(CCKS_TEXT_SUFFIX))) return 'ccks';
    if (files.some((f) => f.endsWith('.txt'))) return 'brat';
    throw new Error(`${p}: a folder input must hold CCKS (*${CCKS_TEXT_SUFFIX}) or BRAT (*.txt) files; found neither`);
  }
  const stream = createReadStream(p);
  try {
    for await (const line of readLines(stream, options)) {
      if (line.kind === 'line' && line.text.trim() === '') continue;
      return line.kind === 'line' && line.text.trimStart().startsWith('{') ? 'jsonl' : 'text';
    }
  } finally {
    stream.destroy();
  }
  return 'text';
}

/** Opens an input path (file or folder) in a format (detected when not given); `-` is stdin. */
export async function openInput(p: string, format?: InputFormat, options: LineOptions = {}): Promise<InputSource> {
  if (p === '-') {
    if (format === 'ccks' || format === 'brat') throw new Error(`stdin can be read as text or jsonl lines, not ${format}`);
    return stdinInput(process.stdin, format ?? 'text', options);
  }
  let info;
  try {
    info = await stat(p);
  } catch {
    throw new Error(`input ${p} does not exist`);
  }
  const fmt = format ?? (await detectInputFormat(p, options));
  const label = path.basename(p);
  if (fmt === 'ccks' || fmt === 'brat') {
    if (!info.isDirectory()) throw new Error(`input ${p}: the ${fmt} input is a folder, got a file`);
    const suffix = fmt === 'ccks' ? CCKS_TEXT_SUFFIX : '.txt';
    const files = (await listFiles(p)).filter((f) => f.endsWith(suffix) && (fmt === 'ccks' || !f.endsWith(CCKS_TEXT_SUFFIX)));
    return { format: fmt, total: files.length, items: folderItems(files, p, suffix, options) };
  }
  if (info.isDirectory()) throw new Error(`input ${p}: the ${fmt} input is a file, got a folder`);
  const lines = readLines(createReadStream(p, { highWaterMark: 1 << 20 }), options);
  return { format: fmt, total: info.size, items: fmt === 'jsonl' ? jsonlItems(lines, label) : textItems(lines, label) };
}

/** stdin as plain text lines (or JSON lines). */
export function stdinInput(stream: Readable, format: 'text' | 'jsonl' = 'text', options: LineOptions = {}): InputSource {
  const lines = readLines(stream, options);
  return { format, total: 0, items: format === 'jsonl' ? jsonlItems(lines, 'stdin') : textItems(lines, 'stdin') };
}

/** Documents given as arguments. */
export function argumentInput(texts: readonly string[]): InputSource {
  async function* items(): AsyncGenerator<InputItem> {
    for (let i = 0; i < texts.length; i++) yield { kind: 'doc', index: i, id: `arg-${i + 1}`, text: texts[i], progress: i + 1 };
  }
  return { format: 'text', total: texts.length, items: items() };
}
