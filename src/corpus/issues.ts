/**
 * Diagnostics shared by every corpus reader.
 *
 * Readers never drop or shift a span silently: each span that does not fit its text is reported as a
 * `CorpusIssue` (file, line, document id, what is wrong — offsets and lengths only, never clinical text).
 * With `strict` (the default) a reader collects ALL issues of a read and throws one `CorpusError` listing
 * them; with `strict: false` it returns the documents without the offending spans plus the issues.
 */
import type { Doc, EntitySpan } from './document.js';

export interface CorpusIssue {
  /** File (or other source label) the issue was found in. */
  file: string;
  /** 1-based line number in that file, when the format is line-based. */
  line?: number;
  /** Document the issue belongs to, when known. */
  docId?: string;
  /** What is wrong: offsets, lengths and field names only — never text from the corpus. */
  message: string;
}

export interface ParseResult {
  docs: Doc[];
  issues: CorpusIssue[];
}

export interface ReadOptions {
  /** true (default): throw one CorpusError listing every issue; false: return the issues beside the docs. */
  strict?: boolean;
  /** Label used as `file` in issues (pure parsers do not know the path). */
  file?: string;
}

/** Formats one issue as `file:line [doc id]: message`. */
export function formatIssue(issue: CorpusIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const doc = issue.docId === undefined ? '' : ` [${issue.docId}]`;
  return `${where}${doc}: ${issue.message}`;
}

/** One error for a whole read: its message lists every issue (up to `shown`), `issues` holds them all. */
export class CorpusError extends Error {
  readonly issues: CorpusIssue[];
  constructor(issues: CorpusIssue[], shown = 50) {
    const lines = issues.slice(0, shown).map((i) => '  ' + formatIssue(i));
    if (issues.length > shown) lines.push(`  ... and ${issues.length - shown} more`);
    super(`${issues.length} corpus issue${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.name = 'CorpusError';
    this.issues = issues;
  }
}

/** Applies the strict/lenient policy to a finished read. */
export function settle(result: ParseResult, options: ReadOptions = {}): ParseResult {
  if ((options.strict ?? true) && result.issues.length > 0) throw new CorpusError(result.issues);
  return result;
}

/**
 * Checks one span against its text: integer offsets, 0 <= start < end <= text.length.
 * Returns a message describing the problem (offsets and lengths only) or undefined when it fits.
 */
export function spanProblem(text: string, start: number, end: number): string | undefined {
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    return `offsets must be integers, got start=${String(start)} end=${String(end)}`;
  }
  if (start < 0) return `start ${start} is negative`;
  if (end > text.length) return `end ${end} is beyond the text (length ${text.length})`;
  if (start >= end) return `start ${start} is not before end ${end} (empty or reversed span)`;
  return undefined;
}

/** Checks an entity type name: a non-empty string without whitespace (it becomes part of a BIO tag). */
export function typeProblem(type: unknown): string | undefined {
  if (typeof type !== 'string' || type.length === 0) return 'entity type must be a non-empty string';
  if (/\s/.test(type)) return `entity type (length ${type.length}) contains whitespace`;
  return undefined;
}

/** Sorts spans by start, then end, then type (a copy; the input is left as it is). */
export function sortSpans(entities: readonly EntitySpan[]): EntitySpan[] {
  return [...entities].sort((a, b) => a.start - b.start || a.end - b.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** Throws when a document id cannot be used as a file name (writers that make one file per document). */
export function assertFileSafeId(id: string, format: string): void {
  if (typeof id !== 'string' || id.length === 0 || /[\\/\0]/.test(id) || id === '.' || id === '..') {
    throw new Error(`${format} writer: document id must be a non-empty file name without '/', '\\' or NUL; got ${JSON.stringify(id)}`);
  }
}
