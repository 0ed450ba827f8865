/**
 * Outputs of `cner tag`.
 *
 * - jsonl: one JSON object a line: the input object (or `{ id, text }`) with `entities: [{ type, start, end,
 *   text, score }]` added (end exclusive; UTF-16 offsets unless --offsets codepoint) and `paths` with --kbest.
 * - tsv:   one entity a line, `doc<TAB>type<TAB>start<TAB>end<TAB>text<TAB>score` (doc = 1-based number of the
 *   document, or the line number of a line input); tabs and line breaks in the text are written as \t \r \n.
 * - ccks, brat, conll: the corpus writers of src/io/corpus-io.ts (conll = its `bio` format), UTF-16 offsets.
 * - html:  one standalone HTML file (src/hosts/http/render.ts: entities highlighted and typed inline, a legend
 *   of the model's labels); the documents are held until the end, so it is meant for viewing, not huge batches.
 * A document a writer cannot hold (e.g. a CCKS id that is not `<section>-<n>`) is returned as a failure
 * naming the document; the others are written.
 */
import { mkdir } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { docToBio, formatBio, formatBratAnn, formatCcksDoc, type Doc } from '../../../corpus/index.js';
import { writeCorpus } from '../../../io/corpus-io.js';
import { openAtomic } from '../../../io/output-file.js';
import { renderDocumentsHtml, type RenderDocument } from '../../http/render.js';
import type { Entity, TagResult } from '../../../tagger.js';
import type { InputDoc } from './input.js';

export const OUTPUT_FORMATS = ['jsonl', 'tsv', 'ccks', 'brat', 'conll', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface TaggedDoc {
  doc: InputDoc;
  result: TagResult;
}

export interface WriteFailure {
  where: string;
  message: string;
}

export interface Sink {
  /** writes a group of tagged documents in order; returns the documents it could not write */
  write(batch: readonly TaggedDoc[]): Promise<WriteFailure[]>;
  /** finishes the output (flushes and closes files, renaming them to their final names; stdout stays open) */
  close(): Promise<WriteFailure[]>;
  /** gives up the output after an error: temporary files are removed, the final names are left as they were */
  abort?(): Promise<void>;
}

/** Where a document came from, for messages: `file:line`, `file`, or `document n`. */
export function whereOf(doc: InputDoc, label?: string): string {
  if (doc.line !== undefined) return label ? `${label}:${doc.line}` : `line ${doc.line}`;
  if (doc.file !== undefined) return doc.file;
  return `document ${doc.index + 1}`;
}

/** Writes a string to a stream, waiting when its buffer is full. */
async function put(stream: Writable, s: string): Promise<void> {
  if (!stream.write(s)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

/**
 * Where a line output goes: a stream (stdout, left open) or a file written through a temporary file beside it
 * and renamed at close (a killed run leaves no partial file under the final name).
 */
interface Target {
  stream: Writable;
  close(): Promise<void>;
  abort(): Promise<void>;
}

async function openTarget(target: Writable | string): Promise<Target> {
  if (typeof target !== 'string') return { stream: target, close: async () => {}, abort: async () => {} };
  const file = await openAtomic(target);
  return { stream: file.stream, close: () => file.commit(), abort: () => file.abort() };
}

/** The JSON lines record of one tagged document. */
export function jsonlRecord(t: TaggedDoc): Record<string, unknown> {
  const base = t.doc.record ?? { id: t.doc.id, text: t.doc.text };
  const out: Record<string, unknown> = { ...base, entities: t.result.entities };
  if (t.result.paths !== undefined) out.paths = t.result.paths;
  return out;
}

/** JSON lines to a stream (stdout) or a file. */
export async function jsonlSink(target: Writable | string): Promise<Sink> {
  const out = await openTarget(target);
  return {
    async write(batch) {
      await put(out.stream, batch.map((t) => JSON.stringify(jsonlRecord(t)) + '\n').join(''));
      return [];
    },
    async close() {
      await out.close();
      return [];
    },
    abort: () => out.abort(),
  };
}

// ───────────────────────────── ANSI colours (terminal output) ─────────────────────────────

const PALETTE: Record<string, string> = {
  BODY: '34', // blue
  SIGNS: '31', // red
  CHECK: '32', // green
  DISEASE: '33', // yellow
  TREATMENT: '35', // magenta
};
const EXTRA = ['36', '94', '91', '92', '93', '95', '96'];

/** ANSI SGR code of an entity type: fixed for the CCKS types, a stable pick for others. */
export function colourCode(type: string): string {
  if (Object.hasOwn(PALETTE, type)) return PALETTE[type];
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) >>> 0;
  return EXTRA[h % EXTRA.length];
}

export function paint(s: string, type: string, colour: boolean): string {
  return colour ? `\x1b[${colourCode(type)}m${s}\x1b[0m` : s;
}

/** Whether to colour output written to `stream`: a TTY, and NO_COLOR unset or empty (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}

const escapeField = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

export function formatScore(score: number | undefined): string {
  return score === undefined ? '' : score.toFixed(4);
}

/** One TSV line of an entity. */
export function tsvLine(docNumber: number, e: Entity, colour: boolean): string {
  return [docNumber, paint(e.type, e.type, colour), e.start, e.end, escapeField(e.text), formatScore(e.score)].join('\t') + '\n';
}

/** The first line of TSV output. */
export const TSV_HEADER = 'doc\ttype\tstart\tend\ttext\tscore\n';

/** TSV entity lines, after a header line, to a stream or a file. */
export async function tsvSink(target: Writable | string, colour: boolean): Promise<Sink> {
  const out = await openTarget(target);
  const stream = out.stream;
  await put(stream, TSV_HEADER);
  return {
    async write(batch) {
      const lines: string[] = [];
      for (const t of batch) {
        const n = t.doc.line ?? t.doc.index + 1;
        for (const e of t.result.entities) lines.push(tsvLine(n, e, colour));
      }
      if (lines.length > 0) await put(stream, lines.join(''));
      return [];
    },
    async close() {
      await out.close();
      return [];
    },
    abort: () => out.abort(),
  };
}

// ───────────────────────────── corpus formats ─────────────────────────────

/** The Doc of a tagged document (UTF-16 offsets). */
export function toDoc(t: TaggedDoc): Doc {
  return { id: t.doc.id, text: t.doc.text, entities: t.result.entities.map((e) => ({ start: e.start, end: e.end, type: e.type })) };
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * ccks / brat: a folder, written as documents arrive (one writeCorpus call per document, so one that the format
 * cannot hold is skipped and reported; each file is written whole through a temporary file); conll: one file (or
 * a stream), written as documents arrive through a temporary file renamed at close.
 */
export async function corpusSink(target: Writable | string, format: 'ccks' | 'brat' | 'conll', label?: string): Promise<Sink> {
  const ids = new Set<string>();
  const check = (t: TaggedDoc): WriteFailure | Doc => {
    const where = whereOf(t.doc, label);
    if (ids.has(t.doc.id)) return { where, message: `duplicate document id ${JSON.stringify(t.doc.id)} (not written)` };
    const doc = toDoc(t);
    try {
      // the writers' own checks (pure), so a document they refuse is reported and the others still written
      if (format === 'ccks') formatCcksDoc(doc);
      else if (format === 'brat') formatBratAnn(doc);
      else docToBio(doc);
    } catch (e) {
      return { where, message: messageOf(e) };
    }
    ids.add(t.doc.id);
    return doc;
  };
  let out: Target | undefined;
  if (format === 'conll') out = await openTarget(target);
  else if (typeof target === 'string') await mkdir(target, { recursive: true });
  else throw new Error(`${format} output is a folder (two files a document); it cannot go to a stream`);
  return {
    async write(batch) {
      const failures: WriteFailure[] = [];
      const docs: Doc[] = [];
      for (const t of batch) {
        const r = check(t);
        if ('message' in r) failures.push(r);
        else docs.push(r);
      }
      if (out) await put(out.stream, formatBio(docs));
      else if (docs.length > 0) await writeCorpus(target as string, docs, { format: format as 'ccks' | 'brat' });
      return failures;
    },
    async close() {
      await out?.close();
      return [];
    },
    abort: async () => out?.abort(),
  };
}

/** html: the tagged documents as one standalone HTML file (or to a stream), written at close. */
export async function htmlSink(target: Writable | string, labels: readonly string[]): Promise<Sink> {
  const out = await openTarget(target);
  const docs: RenderDocument[] = [];
  return {
    async write(batch) {
      for (const t of batch) {
        const entities = t.result.entities.map(({ type, start, end, score }) => (score === undefined ? { type, start, end } : { type, start, end, score }));
        docs.push({ id: t.doc.id, text: t.doc.text, entities });
      }
      return [];
    },
    async close() {
      await put(out.stream, renderDocumentsHtml(docs, [...labels]));
      await out.close();
      return [];
    },
    abort: () => out.abort(),
  };
}
