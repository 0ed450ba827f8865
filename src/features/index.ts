/** Vocabularies (./vocab.ts), the input channels (./channels.ts), a sentence's ids (./featurize.ts) and the lexicon channel's matcher (./lexicon.ts). */
export * from './vocab.js';
export * from './channels.js';
export * from './featurize.js';
export { Lexicon, LEX_POSITIONS } from './lexicon.js';
