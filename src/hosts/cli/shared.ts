/** Helpers shared by the corpus commands. */
import { readdir, stat } from 'node:fs/promises';
import { formatIssue, type CorpusIssue } from '../../corpus/index.js';
import { err } from './command.js';

/** Lists lenient-mode issues on stderr (issues hold offsets, lengths and ids — no corpus text). */
export function reportIssues(issues: readonly CorpusIssue[], what: string, shown = 50): void {
  if (issues.length === 0) return;
  err(`${what}: ${issues.length} issue${issues.length === 1 ? '' : 's'} (the spans or documents named were skipped):`);
  for (const i of issues.slice(0, shown)) err('  ' + formatIssue(i));
  if (issues.length > shown) err(`  ... and ${issues.length - shown} more`);
}

/** Refuses to write over an existing file or non-empty folder unless forced. */
export async function ensureWritable(target: string, force: boolean): Promise<void> {
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
