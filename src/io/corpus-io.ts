/**
 * Reading and writing corpora on disk, in any supported format (Node only; the parsers themselves are the pure
 * functions in src/corpus/).
 *
 * Layouts:
 * - ccks  — a folder (searched recursively) of `<section>/<id>.txtoriginal.txt` + `<id>.txt`, or one
 *           `.txtoriginal.txt` file (its annotation file beside it). Written as `<out>/<section>/<id>...`.
 * - brat  — a folder (recursive) of `<id>.txt` + `<id>.ann`, or one `.ann`/`.txt` file of such a pair.
 * - yidu, jsonl, bio — one file, or a folder whose files (sorted by name, recursively) are read in turn:
 *           jsonl reads `*.jsonl`, yidu `*.txt`/`*.jsonl`/`*.json`, bio `*.bio`/`*.txt`/`*.conll`/`*.tsv`.
 *           Written as one file.
 * Auto-detection: by file names first (`.txtoriginal.txt` → ccks, `.ann` → brat), then by the first non-blank
 * line of the (first) data file: a JSON object with "originalText" → yidu, with "text" → jsonl; a
 * `-DOCSTART-` line or a `<char> <tag>` line → bio.
 *
 * Files are decoded strictly, as UTF-8 unless `encoding` names GB18030 or GBK (an invalid byte is an error naming the file). CCKS and BRAT texts are kept
 * byte-exact, including a BOM if one were present; the line formats skip a leading BOM.
 * Issues from all files are collected before the strict/lenient policy is applied, so one error lists them all.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CCKS_ANN_SUFFIX,
  CCKS_TEXT_SUFFIX,
  CORPUS_FORMATS,
  assertFileSafeId,
  formatBio,
  formatBratAnn,
  formatCcksDoc,
  formatJsonl,
  formatYidu,
  parseBio,
  parseBrat,
  parseCcksDoc,
  parseJsonl,
  parseYidu,
  settle,
  type CorpusFormat,
  type CorpusIssue,
  type Doc,
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

const LINE_FORMAT_EXTENSIONS: Record<'yidu' | 'jsonl' | 'bio', string[]> = {
  jsonl: ['.jsonl'],
  yidu: ['.txt', '.jsonl', '.json'],
  bio: ['.bio', '.txt', '.conll', '.tsv'],
};

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

/** Format of a line-based file from its first non-blank line, or undefined. */
export function sniffContent(content: string): 'yidu' | 'jsonl' | 'bio' | undefined {
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const first = body.split('\n').find((l) => l.trim() !== '')?.replace(/\r$/, '');
  if (first === undefined) return undefined;
  if (first.trimStart().startsWith('{')) {
    try {
      const record = JSON.parse(first) as Record<string, unknown>;
      if (typeof record.originalText === 'string') return 'yidu';
      if (typeof record.text === 'string') return 'jsonl';
    } catch {
      return undefined;
    }
    return undefined;
  }
  if (first.startsWith('-DOCSTART-') || /^\S+[ \t]+(O|[BI]-\S+)$/.test(first)) return 'bio';
  return undefined;
}

/** Detects the format of a corpus path (file or folder); throws when it cannot tell. */
export async function detectFormat(p: string, encoding: InputEncoding = 'utf-8'): Promise<CorpusFormat> {
  const info = await stat(p);
  const files = info.isDirectory() ? await listFiles(p) : [p];
  if (files.some((f) => f.endsWith(CCKS_TEXT_SUFFIX))) return 'ccks';
  if (files.some((f) => f.endsWith('.ann'))) return 'brat';
  if (!info.isDirectory() && p.endsWith('.txt') && (await exists(p.slice(0, -4) + '.ann'))) return 'brat';
  const candidates = files.filter((f) => ['.jsonl', '.json', '.txt', '.bio', '.conll', '.tsv'].includes(path.extname(f)) || !info.isDirectory());
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

  if (format === 'ccks' || format === 'brat') {
    const all = info.isDirectory() ? await listFiles(p) : [p];
    const textSuffix = format === 'ccks' ? CCKS_TEXT_SUFFIX : '.txt';
    const annOf = (t: string) => (format === 'ccks' ? t.slice(0, -CCKS_TEXT_SUFFIX.length) + CCKS_ANN_SUFFIX : t.slice(0, -4) + '.ann');
    let texts: string[];
    if (info.isDirectory()) {
      texts = all.filter((f) => f.endsWith(textSuffix));
      // annotation files whose text file is missing
      const textSet = new Set(texts);
      const anns = format === 'ccks' ? all.filter((f) => f.endsWith(CCKS_ANN_SUFFIX) && !f.endsWith(CCKS_TEXT_SUFFIX)) : all.filter((f) => f.endsWith('.ann'));
      for (const a of anns) {
        const t = format === 'ccks' ? a.slice(0, -CCKS_ANN_SUFFIX.length) + CCKS_TEXT_SUFFIX : a.slice(0, -4) + '.txt';
        if (!textSet.has(t)) issues.push({ file: label(a), message: 'annotation file without its text file' });
      }
    } else {
      texts = [p.endsWith('.ann') ? p.slice(0, -4) + '.txt' : p];
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
      take(format === 'ccks' ? parseCcksDoc(id, text, ann, { strict: false, file: label(a) }) : parseBrat(id, text, ann, { strict: false, file: label(a) }));
    }
    docs.sort(compareDocIds);
  } else {
    const exts = LINE_FORMAT_EXTENSIONS[format];
    const list = info.isDirectory() ? (await listFiles(p)).filter((f) => exts.includes(path.extname(f))) : [p];
    for (const f of list) {
      const content = await readTextFile(f, encoding);
      files++;
      take(parseLineFormat(content, format, label(f)));
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

/** The formats a single stream (stdin, stdout) can hold: one file each. */
export const STREAM_FORMATS = ['yidu', 'jsonl', 'bio'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

const isStreamFormat = (f: string): f is StreamFormat => (STREAM_FORMATS as readonly string[]).includes(f);

/** Parses the text of one line-format file (lenient: issues are returned). */
function parseLineFormat(content: string, format: StreamFormat, file: string): ParseResult {
  const opts = { strict: false, file };
  return format === 'yidu' ? parseYidu(content, opts) : format === 'jsonl' ? parseJsonl(content, opts) : parseBio(content, opts);
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
  return format === 'yidu' ? formatYidu(docs) : format === 'jsonl' ? formatJsonl(docs) : formatBio(docs, { docIds: options.docIds });
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
  if (!(CORPUS_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`unknown corpus format ${JSON.stringify(format)}; expected one of ${CORPUS_FORMATS.join(', ')}`);
  }
  const ids = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`cannot write: duplicate document id ${d.id}`);
    ids.add(d.id);
  }
  if (format === 'ccks' || format === 'brat') {
    let files = 0;
    const made = new Set<string>();
    for (const d of docs) {
      assertFileSafeId(d.id, format);
      let writes: Array<[string, string]>;
      if (format === 'ccks') {
        const f = formatCcksDoc(d);
        writes = [
          [path.join(p, f.textPath), f.text],
          [path.join(p, f.annotationPath), f.annotations],
        ];
      } else {
        writes = [
          [path.join(p, `${d.id}.txt`), d.text],
          [path.join(p, `${d.id}.ann`), formatBratAnn(d)],
        ];
      }
      for (const [file, content] of writes) {
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
  await writeFileAtomic(p, formatCorpusText(docs, format, options));
  return { files: 1 };
}
