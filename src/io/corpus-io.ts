/**
 * Reading and writing corpora on disk, in any supported format (Node only; the formats themselves are the pure
 * specs of src/corpus/formats/: parsers, writers, layouts, sniffing).
 *
 * Layouts:
 * - folder formats (ccks, brat) — a folder (searched recursively) of `<id><textSuffix>` + `<id><annSuffix>`
 *           (ccks: `<section>/<id>.txtoriginal.txt` + `<id>.txt`; brat: `<id>.txt` + `<id>.ann`), or one file of
 *           such a pair (its text file, or brat's `.ann`). Written as a folder (ccks: `<out>/<section>/<id>...`).
 * - file formats (yidu, jsonl, bio) — one file, or a folder whose files with the format's extensions (sorted by
 *           name, recursively) are read in turn: jsonl reads `*.jsonl`, yidu `*.txt`/`*.jsonl`/`*.json`, bio
 *           `*.bio`/`*.txt`/`*.conll`/`*.tsv`. Written as one file.
 * Auto-detection: by file names first (a folder format's marker: `.txtoriginal.txt` → ccks, `.ann` → brat; a text
 * file with its annotation file beside it), then by the first non-blank line of the (first) data file, which each
 * file format's sniff judges: a JSON object with "originalText" → yidu, with "text" → jsonl; a `-DOCSTART-` line
 * or a `<char> <tag>` line → bio.
 *
 * Files are decoded strictly, as UTF-8 unless `encoding` names GB18030 or GBK (an invalid byte is an error naming the file). CCKS and BRAT texts are kept
 * byte-exact, including a BOM if one were present; the line formats skip a leading BOM.
 * Issues from all files are collected before the strict/lenient policy is applied, so one error lists them all.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CORPUS_FORMATS,
  FILE_FORMATS,
  FORMAT_SPECS,
  assertFileSafeId,
  formatSpec,
  isCorpusFormat,
  settle,
  sniffContent,
  type CorpusFormat,
  type CorpusIssue,
  type Doc,
  type FileFormat,
  type ParseResult,
} from '../corpus/index.js';
import { writeFileAtomic } from './output-file.js';

/** Text encodings the readers take (WHATWG TextDecoder names); utf-8 is the default. */
export const INPUT_ENCODINGS = ['utf-8', 'gb18030', 'gbk'] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];

export interface ReadCorpusOptions {
  /** The format; detected from the path when absent. */
  format?: CorpusFormat;
  /** The encoding of the files (default utf-8). */
  encoding?: InputEncoding;
  /** true (default): throw one CorpusError listing every issue; false: return issues, skip bad spans. */
  strict?: boolean;
}

export interface CorpusRead extends ParseResult {
  format: CorpusFormat;
  /** Number of files read. */
  files: number;
}

export interface WriteCorpusOptions {
  format: CorpusFormat;
  /** bio only: write `-DOCSTART- <id>` lines (default true). */
  docIds?: boolean;
}

/** Reads a file as strict text in an encoding the WHATWG TextDecoder knows (utf-8, gb18030, gbk …), keeping a BOM if there is one. */
export async function readTextFile(file: string, encoding = 'utf-8'): Promise<string> {
  const bytes = await readFile(file);
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${file}: not valid ${encoding === 'utf-8' ? 'UTF-8' : encoding}`);
  }
}

/** Reads a file as strict UTF-8, keeping a BOM if there is one. */
export const readUtf8 = (file: string): Promise<string> => readTextFile(file);

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Every regular, non-hidden file under `dir`, recursively, sorted by path (UTF-16 code units). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Format of a line-based file from its first non-blank line, or undefined (each file format's sniff). */
export { sniffContent };

/** Every extension a file format reads from a folder: the files content sniffing looks at. */
const DATA_EXTENSIONS = new Set(FORMAT_SPECS.flatMap((s) => (s.layout === 'file' ? s.extensions : [])));

/** Detects the format of a corpus path (file or folder); throws when it cannot tell. */
export async function detectFormat(p: string, encoding: InputEncoding = 'utf-8'): Promise<CorpusFormat> {
  const info = await stat(p);
  const files = info.isDirectory() ? await listFiles(p) : [p];
  for (const s of FORMAT_SPECS) if (s.layout === 'folder' && files.some((f) => f.endsWith(s.marker))) return s.name;
  if (!info.isDirectory()) {
    for (const s of FORMAT_SPECS) {
      if (s.layout === 'folder' && p.endsWith(s.textSuffix) && (await exists(p.slice(0, -s.textSuffix.length) + s.annSuffix))) return s.name;
    }
  }
  const candidates = files.filter((f) => DATA_EXTENSIONS.has(path.extname(f)) || !info.isDirectory());
  for (const f of candidates.slice(0, 1)) {
    const found = sniffContent(await readTextFile(f, encoding));
    if (found) return found;
  }
  throw new Error(`cannot detect the corpus format of ${p}; name it (one of ${CORPUS_FORMATS.join(', ')})`);
}

/** Reads a corpus from a file or folder. */
export async function readCorpus(p: string, options: ReadCorpusOptions = {}): Promise<CorpusRead> {
  const encoding = options.encoding ?? 'utf-8';
  const format = options.format ?? (await detectFormat(p, encoding));
  const info = await stat(p);
  const root = info.isDirectory() ? p : path.dirname(p);
  const label = (f: string) => path.relative(root, f) || path.basename(f);
  const docs: Doc[] = [];
  const issues: CorpusIssue[] = [];
  let files = 0;
  const take = (r: ParseResult) => {
    docs.push(...r.docs);
    issues.push(...r.issues);
  };

  const spec = formatSpec(format);
  if (spec.layout === 'folder') {
    const { textSuffix, annSuffix } = spec;
    const all = info.isDirectory() ? await listFiles(p) : [p];
    const isAnn = (f: string) => f.endsWith(annSuffix) && !f.endsWith(textSuffix);
    const annOf = (t: string) => t.slice(0, -textSuffix.length) + annSuffix;
    const textOf = (a: string) => a.slice(0, -annSuffix.length) + textSuffix;
    let texts: string[];
    if (info.isDirectory()) {
      texts = all.filter((f) => f.endsWith(textSuffix));
      // annotation files whose text file is missing
      const textSet = new Set(texts);
      for (const a of all.filter(isAnn)) {
        if (!textSet.has(textOf(a))) issues.push({ file: label(a), message: 'annotation file without its text file' });
      }
    } else {
      // one file: the text file, or an annotation file told apart by its own ending (brat's .ann)
      texts = [isAnn(p) && !textSuffix.endsWith(annSuffix) ? textOf(p) : p];
    }
    for (const t of texts) {
      const id = path.basename(t).slice(0, -textSuffix.length);
      const a = annOf(t);
      if (!(await exists(a))) {
        issues.push({ file: label(t), docId: id, message: 'annotation file missing (document skipped)' });
        continue;
      }
      const [text, ann] = await Promise.all([readTextFile(t, encoding), readTextFile(a, encoding)]);
      files += 2;
      take(spec.parse(id, text, ann, { strict: false, file: label(a) }));
    }
    docs.sort(compareDocIds);
  } else {
    const list = info.isDirectory() ? (await listFiles(p)).filter((f) => spec.extensions.includes(path.extname(f))) : [p];
    for (const f of list) {
      const content = await readTextFile(f, encoding);
      files++;
      take(spec.parse(content, { strict: false, file: label(f) }));
    }
  }

  const result = settle(dropDuplicateIds({ docs, issues }, label(p)), { strict: options.strict });
  return { ...result, format, files };
}

/** Keeps the first document of each id; the later ones become issues. */
function dropDuplicateIds(read: ParseResult, file: string): ParseResult {
  const seen = new Set<string>();
  const docs: Doc[] = [];
  const issues = [...read.issues];
  for (const d of read.docs) {
    if (seen.has(d.id)) issues.push({ file, docId: d.id, message: 'duplicate document id across files (later one skipped)' });
    else {
      seen.add(d.id);
      docs.push(d);
    }
  }
  return { docs, issues };
}

/** The formats a single stream (stdin, stdout) can hold: the file formats. */
export const STREAM_FORMATS = FILE_FORMATS;
export type StreamFormat = FileFormat;

const isStreamFormat = (f: string): f is StreamFormat => (STREAM_FORMATS as readonly string[]).includes(f);

/** Parses the text of one line-format file (lenient: issues are returned). */
function parseLineFormat(content: string, format: StreamFormat, file: string): ParseResult {
  return formatSpec(format).parse(content, { strict: false, file });
}

/**
 * Reads a corpus from the text of a stream (stdin): a line format, named or detected from the first line.
 * `label` names the stream in issues.
 */
export function readCorpusText(content: string, options: ReadCorpusOptions & { label?: string } = {}): CorpusRead {
  const label = options.label ?? 'stdin';
  const format = options.format ?? sniffContent(content);
  if (format === undefined) throw new Error(`cannot detect the corpus format of ${label}; name it (one of ${STREAM_FORMATS.join(', ')})`);
  if (!isStreamFormat(format)) throw new Error(`${label}: a ${format} corpus is a folder of files; a stream holds ${STREAM_FORMATS.join(', ')}`);
  const result = settle(dropDuplicateIds(parseLineFormat(content, format, label), label), { strict: options.strict });
  return { ...result, format, files: 1 };
}

/** The text of a corpus in a line format (what writeCorpus writes to its one file). */
export function formatCorpusText(docs: readonly Doc[], format: StreamFormat, options: { docIds?: boolean } = {}): string {
  return formatSpec(format).format(docs, { docIds: options.docIds });
}

/** Order of one-file-per-document corpora: ids `<prefix>-<n>` by prefix then number, others by code units. */
function compareDocIds(a: Doc, b: Doc): number {
  const ma = /^(.+)-(\d+)$/.exec(a.id);
  const mb = /^(.+)-(\d+)$/.exec(b.id);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  const x = ma ? ma[1] : a.id;
  const y = mb ? mb[1] : b.id;
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Writes documents to a path in a format (folders for ccks and brat, one file otherwise). Every file is written
 * through a temporary file renamed at the end, so an interrupted write never leaves a partial file. Returns the files written.
 */
export async function writeCorpus(p: string, docs: readonly Doc[], options: WriteCorpusOptions): Promise<{ files: number }> {
  const { format } = options;
  if (!isCorpusFormat(format)) {
    throw new Error(`unknown corpus format ${JSON.stringify(format)}; expected one of ${CORPUS_FORMATS.join(', ')}`);
  }
  const ids = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`cannot write: duplicate document id ${d.id}`);
    ids.add(d.id);
  }
  const spec = formatSpec(format);
  if (spec.layout === 'folder') {
    let files = 0;
    const made = new Set<string>();
    for (const d of docs) {
      assertFileSafeId(d.id, format);
      for (const [rel, content] of spec.format(d)) {
        const file = path.join(p, rel);
        const dir = path.dirname(file);
        if (!made.has(dir)) {
          await mkdir(dir, { recursive: true });
          made.add(dir);
        }
        await writeFileAtomic(file, content);
        files++;
      }
    }
    return { files };
  }
  await writeFileAtomic(p, spec.format(docs, { docIds: options.docIds }));
  return { files: 1 };
}
