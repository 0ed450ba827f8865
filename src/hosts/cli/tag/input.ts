/**
 * Inputs of `cner tag`: documents to tag, read lazily so huge files stream.
 *
 * - jsonl: one JSON object a line with a string "text" (and usually an "id"); the object is kept whole so the
 *   output can be the same object with "entities" added. A bad line (not JSON, no string text) becomes a
 *   failure item naming its line number — never its content.
 * - text: plain text, one document a line (blank lines skipped; their numbers still count).
 * - ccks: a folder of CCKS 2017 `<section>/<id>.txtoriginal.txt` files (annotation files are not needed).
 * - brat: a folder of BRAT `<id>.txt` files (the `.ann` files are not needed).
 * Line files are decoded as strict UTF-8 (invalid bytes stop the run with the file name); a leading BOM is
 * skipped; CRLF and LF line ends are both accepted.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CCKS_TEXT_SUFFIX } from '../../../corpus/index.js';
import { listFiles, readUtf8 } from '../../../io/corpus-io.js';

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

/** Splits a byte stream into lines: strict UTF-8, BOM skipped, `\n` or `\r\n` ends a line. Yields [line, bytes consumed]. */
export async function* readLines(stream: Readable | AsyncIterable<Uint8Array | string>, label: string): AsyncGenerator<[string, number]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let consumed = 0;
  let first = true;
  const decode = (chunk: Uint8Array | undefined, streamMore: boolean): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: streamMore });
    } catch {
      throw new Error(`${label}: not valid UTF-8`);
    }
  };
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    consumed += bytes.length;
    let s = rest + decode(bytes, true);
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    let at = 0;
    for (let nl = s.indexOf('\n', at); nl >= 0; nl = s.indexOf('\n', at)) {
      const end = nl > at && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield [s.slice(at, end), consumed];
      at = nl + 1;
    }
    rest = s.slice(at);
  }
  let tail = rest + decode(undefined, false);
  if (first && tail.charCodeAt(0) === 0xfeff) tail = tail.slice(1);
  if (tail.endsWith('\r')) tail = tail.slice(0, -1);
  if (tail !== '') yield [tail, consumed];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON lines documents from a stream of lines. */
export async function* jsonlItems(lines: AsyncIterable<[string, number]>, label: string): AsyncGenerator<InputItem> {
  let lineNo = 0;
  let index = 0;
  for await (const [line, progress] of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const where = `${label}:${lineNo}`;
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
export async function* textItems(lines: AsyncIterable<[string, number]>): AsyncGenerator<InputItem> {
  let lineNo = 0;
  let index = 0;
  for await (const [line, progress] of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    yield { kind: 'doc', index: index++, id: `line-${lineNo}`, text: line, line: lineNo, progress };
  }
}

/** Documents of a folder: every file ending with `suffix`, id = its name without the suffix, text = the whole file. */
async function* folderItems(files: string[], root: string, suffix: string): AsyncGenerator<InputItem> {
  const seen = new Set<string>();
  let index = 0;
  for (let k = 0; k < files.length; k++) {
    const f = files[k];
    const rel = path.relative(root, f);
    const id = path.basename(f).slice(0, -suffix.length);
    if (seen.has(id)) {
      yield { kind: 'failure', where: rel, message: `duplicate document id ${JSON.stringify(id)} (file skipped)`, progress: k + 1 };
      continue;
    }
    seen.add(id);
    let text: string;
    try {
      text = await readUtf8(f);
    } catch (e) {
      yield { kind: 'failure', where: rel, message: e instanceof Error && /UTF-8/.test(e.message) ? 'not valid UTF-8' : 'cannot be read', progress: k + 1 };
      continue;
    }
    yield { kind: 'doc', index: index++, id, text, file: rel, progress: k + 1 };
  }
}

/** Format of an input path: ccks / brat for folders (by their files), jsonl or text for files (by the first line). */
export async function detectInputFormat(p: string): Promise<InputFormat> {
  const info = await stat(p);
  if (info.isDirectory()) {
    const files = await listFiles(p);
    if (files.some((f) => f.endsWith(CCKS_TEXT_SUFFIX))) return 'ccks';
    if (files.some((f) => f.endsWith('.txt'))) return 'brat';
    throw new Error(`${p}: a folder input must hold CCKS (*${CCKS_TEXT_SUFFIX}) or BRAT (*.txt) files; found neither`);
  }
  for await (const [line] of readLines(createReadStream(p), p)) {
    if (line.trim() === '') continue;
    return line.trimStart().startsWith('{') ? 'jsonl' : 'text';
  }
  return 'text';
}

/** Opens an input path (file or folder) in a format (detected when not given). */
export async function openInput(p: string, format?: InputFormat): Promise<InputSource> {
  let info;
  try {
    info = await stat(p);
  } catch {
    throw new Error(`input ${p} does not exist`);
  }
  const fmt = format ?? (await detectInputFormat(p));
  const label = path.basename(p);
  if (fmt === 'ccks' || fmt === 'brat') {
    if (!info.isDirectory()) throw new Error(`input ${p}: the ${fmt} input is a folder, got a file`);
    const suffix = fmt === 'ccks' ? CCKS_TEXT_SUFFIX : '.txt';
    const files = (await listFiles(p)).filter((f) => f.endsWith(suffix) && (fmt === 'ccks' || !f.endsWith(CCKS_TEXT_SUFFIX)));
    return { format: fmt, total: files.length, items: folderItems(files, p, suffix) };
  }
  if (info.isDirectory()) throw new Error(`input ${p}: the ${fmt} input is a file, got a folder`);
  const lines = readLines(createReadStream(p, { highWaterMark: 1 << 20 }), label);
  return { format: fmt, total: info.size, items: fmt === 'jsonl' ? jsonlItems(lines, label) : textItems(lines) };
}

/** stdin as plain text lines (or JSON lines). */
export function stdinInput(stream: Readable, format: 'text' | 'jsonl' = 'text'): InputSource {
  const lines = readLines(stream, 'stdin');
  return { format, total: 0, items: format === 'jsonl' ? jsonlItems(lines, 'stdin') : textItems(lines) };
}

/** Documents given as arguments. */
export function argumentInput(texts: readonly string[]): InputSource {
  async function* items(): AsyncGenerator<InputItem> {
    for (let i = 0; i < texts.length; i++) yield { kind: 'doc', index: i, id: `arg-${i + 1}`, text: texts[i], progress: i + 1 };
  }
  return { format: 'text', total: texts.length, items: items() };
}
