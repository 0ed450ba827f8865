/** Characters and words → ids (./vocab.ts) and the lexicon channel (./lexicon.ts). */
export * from './vocab.js';
