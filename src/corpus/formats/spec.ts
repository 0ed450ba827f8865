/**
 * What a corpus format says about itself (after spaCy's converters): its name and aliases, its layout, how it is
 * recognised, how it is parsed and written. One file per format beside this one; ./index.ts lists them. The specs
 * are pure (strings in, strings out); src/io/corpus-io.ts does the files.
 */
import type { Doc } from '../document.js';
import type { ParseResult, ReadOptions } from '../issues.js';

interface FormatInfo<N extends string> {
  /** the name the CLI, configs and reports use */
  name: N;
  /** other names the CLI accepts for it */
  aliases: readonly string[];
  /** one line for the help texts */
  summary: string;
}

/** A format whose corpus is one text: a file or a stream (a folder of such files is read file by file). */
export interface FileFormatSpec<N extends string = string> extends FormatInfo<N> {
  layout: 'file';
  /** which files of a folder are read (by extension, with the dot) */
  extensions: readonly string[];
  /** Does the first non-blank line of a file (without a BOM or a trailing \r) look like this format? */
  sniff(firstLine: string): boolean;
  parse(content: string, options: ReadOptions): ParseResult;
  /** `docIds`: formats that can leave the document ids out (bio) do so when it is false */
  format(docs: readonly Doc[], options: { docIds?: boolean }): string;
}

/** A format of two files a document, its text and its annotations, in a folder tree. */
export interface FolderFormatSpec<N extends string = string> extends FormatInfo<N> {
  layout: 'folder';
  /** `<id><textSuffix>` holds the text of document `id` */
  textSuffix: string;
  /** `<id><annSuffix>` holds its annotations */
  annSuffix: string;
  /** a file whose name ends with this marks a folder (or names a file) of this format */
  marker: string;
  parse(id: string, text: string, annotations: string, options: ReadOptions): ParseResult;
  /** the document's two files: [path relative to the corpus folder, '/'-separated; content] */
  format(doc: Doc): Array<[string, string]>;
}

export type FormatSpec<N extends string = string> = FileFormatSpec<N> | FolderFormatSpec<N>;

/** A file format's spec, its name kept literal (so the list in ./index.ts gives the CorpusFormat type). */
export const defineFileFormat = <const N extends string>(
  spec: Omit<FileFormatSpec<N>, 'layout'>,
): FileFormatSpec<N> => ({ layout: 'file', ...spec });

/** A folder format's spec, its name kept literal. */
export const defineFolderFormat = <const N extends string>(
  spec: Omit<FolderFormatSpec<N>, 'layout'>,
): FolderFormatSpec<N> => ({ layout: 'folder', ...spec });

/** The first line as a JSON object (it starts with '{'), or undefined: what the JSON-lines formats sniff. */
export function jsonObjectLine(line: string): Record<string, unknown> | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
