/**
 * Vocabularies (./vocab.ts), the input channels (./channels.ts), a sentence's ids (./featurize.ts), the lexicon
 * channel's matcher (./lexicon.ts) and the outsideLex channel's (./outside-lexicon.ts).
 */
export * from './vocab.js';
export * from './channels.js';
export * from './featurize.js';
export { Lexicon, LEX_POSITIONS } from './lexicon.js';
export {
  OutsideLexicon,
  type OutsideLexiconSpec,
  outsideLexiconOfHeader,
  outsideLexiconWords,
  segmenterMaskOf,
} from './outside-lexicon.js';
