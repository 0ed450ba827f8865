/**
 * cner — Chinese clinical named-entity recognition (BiLSTM-CRF on SIMD WebAssembly kernels).
 * Platform-neutral: runs unchanged in Node, workerd and browsers.
 *
 *   import { createTagger } from 'cner';
 *   const tagger = await createTagger({ model: modelBytes, kernels: kernelsWasm });
 *   tagger.tag('患者右下腹痛三天。').entities  // [{ type, start, end, text, score }]
 */

export {
  createTagger,
  DEFAULT_MAX_SENTENCE,
  MAX_KBEST,
  type Entity,
  type TaggedPath,
  type TagOptions,
  type TagResult,
  type Tagger,
  type TaggerInfo,
  type TaggerSource,
} from './tagger.js';
export {
  readModel,
  readModelAsync,
  writeModel,
  checkHeader,
  ModelFormatError,
  FORMAT_VERSION,
  type ModelFile,
  type ModelFormatErrorCode,
  type ModelHeader,
  type ReadModelOptions,
  type QuantizationInfo,
  type TagScheme,
  type TrainingInfo,
} from './model/format.js';
export { sha256Hex, sha256Async } from './model/sha256.js';
export type { Architecture, DType, Tensor, TensorData, Weights } from './model/layout.js';
export type { SegmenterSpec } from './segment/spec.js';
export type { ConsistencyTable } from './consistency/index.js';
export type { Vocabulary } from './features/index.js';
export { normalize, type NormalizeOptions, type NormalizedText } from './text/normalize.js';
export { splitSentences, type Span } from './text/sentences.js';
export { tagSet, spansToTags, tagsToSpans, type TagSpan } from './tags/bio.js';
export type { Doc, EntitySpan } from './corpus/document.js';
