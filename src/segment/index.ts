/** The segmentation layer: jieba-compatible dictionary segmentation whose dictionary travels in the model file. */
export { createSegmenter, dictionaryFromSpec, type Segmenter } from './segmenter.js';
export {
  type SegmenterSpec,
  type DictSegmenterSpec,
  type NoneSegmenterSpec,
  type SegmenterVariant,
  validateSegmenterSpec,
  isWellFormed,
} from './spec.js';
export {
  wordsToChars,
  endsToChars,
  tagLetters,
  POSITION_TAGS,
  TAG_B,
  TAG_M,
  TAG_E,
  TAG_S,
  type CharWords,
  type CharUnit,
  type PositionTag,
} from './chars.js';
export { JiebaDictionary, isBlockCodePoint, isBlockWord, forEachBlock } from './jieba.js';
export { CodeUnitTrie } from './trie.js';
