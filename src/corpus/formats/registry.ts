/**
 * The corpus formats. A new format is one file beside this one (a spec: ./spec.ts) and one line in FORMAT_SPECS;
 * the format lists, the CLI's format options, the detector and the help texts all follow from this list.
 */
import { bio } from './bio.js';
import { brat } from './brat.js';
import { ccks } from './ccks.js';
import { jsonl } from './jsonl.js';
import type { FileFormatSpec, FolderFormatSpec, FormatSpec } from './spec.js';
import { yidu } from './yidu.js';

export * from './spec.js';

/** Every format, in the order the lists show them (and content sniffing tries them: yidu before jsonl). */
export const FORMAT_SPECS = [ccks, yidu, bio, jsonl, brat] as const;

type Spec = (typeof FORMAT_SPECS)[number];
export type CorpusFormat = Spec['name'];
/** The formats whose corpus is one text (a file, or a stream such as stdin and stdout). */
export type FileFormat = Extract<Spec, { layout: 'file' }>['name'];
export type FolderFormat = Extract<Spec, { layout: 'folder' }>['name'];

/** Every corpus format the readers and writers know. */
export const CORPUS_FORMATS: readonly CorpusFormat[] = FORMAT_SPECS.map((s) => s.name);
export const FILE_FORMATS = FORMAT_SPECS.filter((s) => s.layout === 'file').map((s) => s.name) as readonly FileFormat[];
export const FOLDER_FORMATS = FORMAT_SPECS.filter((s) => s.layout === 'folder').map(
  (s) => s.name,
) as readonly FolderFormat[];

export function isCorpusFormat(s: string): s is CorpusFormat {
  return (CORPUS_FORMATS as readonly string[]).includes(s);
}

/** The format a name or an alias stands for (e.g. conll → bio), or undefined. */
export function corpusFormatOf(nameOrAlias: string): CorpusFormat | undefined {
  return FORMAT_SPECS.find((s) => s.name === nameOrAlias || s.aliases.includes(nameOrAlias))?.name;
}

export function isFolderFormat(name: string): name is FolderFormat {
  return (FOLDER_FORMATS as readonly string[]).includes(name);
}

export function formatSpec(name: FileFormat): FileFormatSpec<FileFormat>;
export function formatSpec(name: FolderFormat): FolderFormatSpec<FolderFormat>;
export function formatSpec(name: CorpusFormat): FormatSpec<CorpusFormat>;
export function formatSpec(name: CorpusFormat): FormatSpec<CorpusFormat> {
  const spec = FORMAT_SPECS.find((s) => s.name === name);
  if (!spec)
    throw new Error(`unknown corpus format ${JSON.stringify(name)}; expected one of ${CORPUS_FORMATS.join(', ')}`);
  return spec;
}

/** The file format whose sniff recognises the first non-blank line of `content` (a BOM skipped), or undefined. */
export function sniffContent(content: string): FileFormat | undefined {
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const first = body
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.replace(/\r$/, '');
  if (first === undefined) return undefined;
  for (const s of FORMAT_SPECS) if (s.layout === 'file' && s.sniff(first)) return s.name;
  return undefined;
}

/** Help lines, one a format: `  name   summary (also: aliases)`. */
export function formatHelpLines(indent = '  '): string {
  const width = Math.max(...CORPUS_FORMATS.map((n) => n.length)) + 1;
  return FORMAT_SPECS.map(
    (s) => `${indent}${s.name.padEnd(width)} ${s.summary}${s.aliases.length ? ` (also: ${s.aliases.join(', ')})` : ''}`,
  ).join('\n');
}

/** Names joined for a sentence: `a, b or c` (`and` with conjunction 'and'). */
export function formatNames(names: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  return names.length <= 1
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1]}`;
}
