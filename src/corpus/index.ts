/** Corpus formats (pure string <-> Doc; the registry in ./formats/), diagnostics and the record-level split. */
export * from './document.js';
export * from './issues.js';
export * from './ccks2017.js';
export * from './yidu.js';
export * from './jsonl.js';
export * from './bio.js';
export * from './brat.js';
export * from './split.js';
export * from './formats/index.js';
