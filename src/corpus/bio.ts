/**
 * The paper's two-column character BIO text: one `<char> <tag>` line per character (a single space between the
 * columns; a tab is accepted on input), tags `O`, `B-TYPE`, `I-TYPE`, a blank line after each document.
 *
 * Representation choices (so that every text round-trips exactly):
 * - One line per Unicode code point; offsets in Doc stay UTF-16 (an astral character is one line, two units).
 * - Characters that cannot stand in a whitespace-separated column — every whitespace character (space, tab,
 *   CR, LF, U+3000, U+00A0, U+FEFF, ...), control characters and lone surrogates — are written as a six-character
 *   escape `\uXXXX` (e.g. a space is `\u0020`, CR LF is `\u000d` then `\u000a`). Any other character, including
 *   a backslash, is written as itself; a column longer than one character is therefore always an escape.
 * - Each document starts with a line `-DOCSTART- <id>` (CoNLL style) so ids round-trip; `docIds: false`
 *   writes the plain paper format without it. On input, without DOCSTART lines every blank-line-separated block
 *   is one document (id `<file stem>-<n>`); with them, the blocks up to the next DOCSTART are sentences of one
 *   document and are concatenated (a chunk never continues across a blank line).
 * - Tags are decoded with conlleval semantics (an I- without a B-, or I-X after B-Y, starts a new chunk).
 */
import type { Doc, EntitySpan } from './document.js';
import { settle, typeProblem, type CorpusIssue, type ParseResult, type ReadOptions } from './issues.js';
import { stemOf } from './yidu.js';

export const BIO_DOC_MARK = '-DOCSTART-';

/** Splits a tag the way conlleval does: prefix before the first '-', type after ('O' → prefix 'O', type ''). */
export function splitTag(tag: string): { prefix: string; type: string } {
  const dash = tag.indexOf('-');
  return dash < 0 ? { prefix: tag, type: '' } : { prefix: tag.slice(0, dash), type: tag.slice(dash + 1) };
}

/** conlleval's endOfChunk: did a chunk end between the previous and the current token? */
export function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'B' && (tag === 'B' || tag === 'O')) return true;
  if (prevTag === 'I' && (tag === 'B' || tag === 'O')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I' || tag === 'O')) return true;
  if (prevTag !== 'O' && prevTag !== '.' && prevType !== type) return true;
  if (prevTag === ']' || prevTag === '[') return true;
  return false;
}

/** conlleval's startOfChunk: did a chunk start between the previous and the current token? */
export function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' && (prevTag === 'B' || prevTag === 'I' || prevTag === 'O')) return true;
  if (prevTag === 'O' && (tag === 'I' || tag === 'E')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I')) return true;
  if (tag !== 'O' && tag !== '.' && prevType !== type) return true;
  if (tag === '[' || tag === ']') return true;
  return false;
}

/**
 * Chunks of one tag sequence (one sentence) with conlleval semantics, as token-index spans [start, end).
 * The sequence is treated as if preceded and followed by `O`, like conlleval's sentence boundaries.
 */
export function bioChunks(tags: readonly string[]): EntitySpan[] {
  const chunks: EntitySpan[] = [];
  let prev = { prefix: 'O', type: '' };
  let open: { start: number; type: string } | null = null;
  for (let i = 0; i <= tags.length; i++) {
    const cur = i < tags.length ? splitTag(tags[i]) : { prefix: 'O', type: '' };
    if (open && endOfChunk(prev.prefix, cur.prefix, prev.type, cur.type)) {
      chunks.push({ start: open.start, end: i, type: open.type });
      open = null;
    }
    if (startOfChunk(prev.prefix, cur.prefix, prev.type, cur.type)) {
      if (open) chunks.push({ start: open.start, end: i, type: open.type }); // only with non-BIO tags
      open = { start: i, type: cur.type };
    }
    prev = cur;
  }
  return chunks;
}

/** Characters written as `\uXXXX`: whitespace, controls, lone surrogates. */
function needsEscape(ch: string): boolean {
  if (/\s|\p{Cc}/u.test(ch)) return true;
  const c = ch.charCodeAt(0);
  return ch.length === 1 && c >= 0xd800 && c <= 0xdfff;
}

function escapeChar(ch: string): string {
  return needsEscape(ch) ? '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0') : ch;
}

/**
 * Per-code-point BIO tags of a document: `chars[k]` is the k-th code point, `tags[k]` its tag.
 * Throws when entities overlap (BIO cannot hold them) or a boundary falls inside a surrogate pair.
 */
export function docToBio(doc: Doc): { chars: string[]; tags: string[] } {
  const chars = Array.from(doc.text);
  const tokenAt = new Int32Array(doc.text.length + 1).fill(-1); // UTF-16 offset → code point index, -1 inside a pair
  let offset = 0;
  chars.forEach((ch, k) => {
    tokenAt[offset] = k;
    offset += ch.length;
  });
  tokenAt[doc.text.length] = chars.length;
  const tags: string[] = new Array(chars.length).fill('O');
  for (const [i, e] of doc.entities.entries()) {
    if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && 0 <= e.start && e.start < e.end && e.end <= doc.text.length)) {
      throw new Error(`BIO writer: document ${doc.id} entity ${i} [${e.start}, ${e.end}) does not fit the text (length ${doc.text.length})`);
    }
    const typeIssue = typeProblem(e.type);
    if (typeIssue) throw new Error(`BIO writer: document ${doc.id} entity ${i}: ${typeIssue}`);
    const a = tokenAt[e.start];
    const b = tokenAt[e.end];
    if (a < 0 || b < 0) throw new Error(`BIO writer: document ${doc.id} entity ${i} [${e.start}, ${e.end}) splits a surrogate pair`);
    for (let k = a; k < b; k++) {
      if (tags[k] !== 'O') {
        throw new Error(`BIO writer: document ${doc.id} entity ${i} [${e.start}, ${e.end}) overlaps another entity; BIO cannot hold nested or overlapping spans`);
      }
      tags[k] = (k === a ? 'B-' : 'I-') + e.type;
    }
  }
  return { chars, tags };
}

export interface BioFormatOptions {
  /** Write a `-DOCSTART- <id>` line before each document (default true). */
  docIds?: boolean;
}

export function formatBio(docs: readonly Doc[], options: BioFormatOptions = {}): string {
  const docIds = options.docIds ?? true;
  const out: string[] = [];
  for (const doc of docs) {
    if (docIds) {
      if (/[\r\n]/.test(doc.id)) throw new Error(`BIO writer: document id ${JSON.stringify(doc.id)} contains a line break`);
      out.push(`${BIO_DOC_MARK} ${doc.id}\n`);
    } else if (doc.text.length === 0) {
      continue; // without ids an empty document has no representation
    }
    const { chars, tags } = docToBio(doc);
    for (let k = 0; k < chars.length; k++) out.push(`${escapeChar(chars[k])} ${tags[k]}\n`);
    out.push('\n');
  }
  return out.join('');
}

export interface BioParseOptions extends ReadOptions {
  /** Prefix for generated ids (default: the file stem, else `doc`). */
  idPrefix?: string;
}

interface Block {
  chars: string[];
  tags: string[];
}

const TAG_RE = /^(O|[BI]-\S+)$/;
const ESCAPE_RE = /^\\u[0-9A-Fa-f]{4}$/;

export function parseBio(content: string, options: BioParseOptions = {}): ParseResult {
  if (typeof content !== 'string') throw new TypeError(`parseBio expects a string, got ${typeof content}`);
  const file = options.file ?? 'bio';
  const prefix = options.idPrefix ?? stemOf(options.file, 'doc');
  const issues: CorpusIssue[] = [];
  const docs: Doc[] = [];
  const seen = new Set<string>();
  let marked = false; // a DOCSTART line has been seen: blank lines now separate sentences, not documents
  let current: { id: string; line: number; blocks: Block[]; broken: boolean } | null = null;
  let block: Block | null = null;
  let generated = 0;

  const flush = (): void => {
    if (!current) return;
    let text = '';
    const entities: EntitySpan[] = [];
    for (const b of current.blocks) {
      const offsets: number[] = [];
      let offset = text.length;
      for (const ch of b.chars) {
        offsets.push(offset);
        offset += ch.length;
      }
      offsets.push(offset);
      for (const c of bioChunks(b.tags)) entities.push({ start: offsets[c.start], end: offsets[c.end], type: c.type });
      text += b.chars.join('');
    }
    if (current.broken) {
      issues.push({ file, line: current.line, docId: current.id, message: 'document skipped: a character line could not be read, so its text is unknown' });
    } else if (seen.has(current.id)) {
      issues.push({ file, line: current.line, docId: current.id, message: 'duplicate document id (document skipped)' });
    } else {
      seen.add(current.id);
      docs.push({ id: current.id, text, entities });
    }
    current = null;
    block = null;
  };

  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineNo = index + 1;
    if (line === BIO_DOC_MARK || line.startsWith(BIO_DOC_MARK + ' ') || line.startsWith(BIO_DOC_MARK + '\t')) {
      flush();
      marked = true;
      const id = line.slice(BIO_DOC_MARK.length).trim() || `${prefix}-${++generated}`;
      current = { id, line: lineNo, blocks: [], broken: false };
      return;
    }
    if (line.trim() === '') {
      if (marked) block = null;
      else flush();
      return;
    }
    if (!current) current = { id: `${prefix}-${++generated}`, line: lineNo, blocks: [], broken: false };
    const fields = line.split(/[ \t]+/);
    if (fields.length !== 2) {
      issues.push({ file, line: lineNo, docId: current.id, message: `expected 2 columns (character, tag), got ${fields.length}` });
      current.broken = true;
      return;
    }
    const [column, givenTag] = fields;
    let tag = givenTag;
    let ch: string;
    if (ESCAPE_RE.test(column)) ch = String.fromCharCode(parseInt(column.slice(2), 16));
    else if (Array.from(column).length === 1) ch = column;
    else {
      issues.push({ file, line: lineNo, docId: current.id, message: `character column must be one character or a \\uXXXX escape, got ${column.length} code units` });
      current.broken = true;
      return;
    }
    if (!TAG_RE.test(tag)) {
      // The character is kept (so no offset shifts); the unreadable tag becomes O and is reported.
      issues.push({ file, line: lineNo, docId: current.id, message: `tag must be O, B-TYPE or I-TYPE (got a tag of length ${tag.length}); read as O` });
      tag = 'O';
    }
    if (!block) {
      block = { chars: [], tags: [] };
      current.blocks.push(block);
    }
    block.chars.push(ch);
    block.tags.push(tag);
  });
  flush();
  return settle({ docs, issues }, options);
}
