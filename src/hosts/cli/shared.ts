/** Helpers shared by the commands: issue lists, safe outputs, clear messages for unreadable inputs. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { formatIssue, type CorpusIssue } from '../../corpus/index.js';
import { formatCorpusText, readCorpus, readCorpusText, STREAM_FORMATS, type CorpusRead, type ReadCorpusOptions } from '../../io/corpus-io.js';
import { assertNotAlias } from '../../io/output-file.js';
import type { CorpusFormat, Doc } from '../../corpus/index.js';
import { UsageError, err } from './command.js';

/** Lists lenient-mode issues on stderr (issues hold offsets, lengths and ids — no corpus text). */
export function reportIssues(issues: readonly CorpusIssue[], what: string, shown = 50): void {
  if (issues.length === 0) return;
  err(`${what}: ${issues.length} issue${issues.length === 1 ? '' : 's'} (the spans or documents named were skipped):`);
  for (const i of issues.slice(0, shown)) err('  ' + formatIssue(i));
  if (issues.length > shown) err(`  ... and ${issues.length - shown} more`);
}

/**
 * Refuses to write over an existing file or non-empty folder unless forced, and always refuses an output that is
 * one of the inputs (the same file by device + inode — through a symbolic or hard link too — or overlapping folders).
 */
export async function ensureWritable(target: string, force: boolean, inputs: readonly string[] = []): Promise<void> {
  await assertNotAlias(target, inputs);
  if (target === '-') return;
  let info;
  try {
    info = await stat(target);
  } catch {
    return;
  }
  if (force) return;
  if (info.isDirectory() && (await readdir(target)).length === 0) return;
  throw new Error(`${target} already exists; pass --force to overwrite`);
}

export const entityCount = (docs: ReadonlyArray<{ entities: readonly unknown[] }>): number => docs.reduce((s, d) => s + d.entities.length, 0);

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
};

/** `cannot read the WHAT PATH: no such file or folder` (the reason in words, the code when there is none). */
export function cannotRead(what: string, p: string, e: unknown): Error {
  const code = (e as { code?: string }).code ?? '';
  return new Error(`cannot read the ${what} ${p}: ${READ_ERRORS[code] ?? (code || (e instanceof Error ? e.message : String(e)))}`);
}

/** Throws cannotRead unless `p` exists (file or folder). */
export async function assertReadable(p: string, what: string): Promise<void> {
  try {
    await stat(p);
  } catch (e) {
    throw cannotRead(what, p, e);
  }
}

/** The bytes of a file, or a cannotRead error. */
export async function readInputFile(p: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(p);
  } catch (e) {
    throw cannotRead(what, p, e);
  }
}

/** All of stdin as strict text in an encoding (default utf-8). */
async function readStdin(encoding = 'utf-8'): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Error(`stdin: not valid ${encoding}`);
  }
}

/** A corpus path argument: `-` reads stdin (a line format: yidu, jsonl or bio); a missing path is named in words. */
export async function readCorpusArg(p: string, what: string, options: ReadCorpusOptions): Promise<CorpusRead> {
  if (p === '-') return readCorpusText(await readStdin(options.encoding), { ...options, label: 'stdin' });
  await assertReadable(p, what);
  return readCorpus(p, options);
}

/** Throws a UsageError when `format` cannot go to stdout (`-`): ccks and brat are folders. */
export function assertStreamable(target: string, format: CorpusFormat): void {
  if (target === '-' && !(STREAM_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`${format} is a folder of files and cannot go to stdout; give a folder, or use one of ${STREAM_FORMATS.join(', ')} for a stream`);
  }
}

/** Writes a corpus in a line format to stdout. */
export async function writeCorpusToStdout(docs: readonly Doc[], format: CorpusFormat, docIds: boolean): Promise<void> {
  assertStreamable('-', format);
  const text = formatCorpusText(docs, format as (typeof STREAM_FORMATS)[number], { docIds });
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}
