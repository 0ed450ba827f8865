/** Corpus formats (pure string <-> Doc), diagnostics and the record-level split. */
export * from './document.js';
export * from './issues.js';
export * from './ccks2017.js';
export * from './yidu.js';
export * from './jsonl.js';
export * from './bio.js';
export * from './brat.js';
export * from './split.js';

/** Every corpus format the readers and writers know. */
export const CORPUS_FORMATS = ['ccks', 'yidu', 'bio', 'jsonl', 'brat'] as const;
export type CorpusFormat = (typeof CORPUS_FORMATS)[number];

export function isCorpusFormat(s: string): s is CorpusFormat {
  return (CORPUS_FORMATS as readonly string[]).includes(s);
}
