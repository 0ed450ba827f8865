/** Embedding pre-training (word2vec skip-gram, GloVe) and the word2vec text format. Node only. */
export type { Embeddings, EmbedProgress, CommonEmbedOptions, Word2VecOptions, GloVeOptions } from './types.js';
export { trainWord2Vec, aliasTable } from './word2vec.js';
export { trainGloVe, countCooccurrences } from './glove.js';
export { writeWord2VecText, readWord2VecText, encodeToken, decodeToken } from './format.js';
export { cosine, nearest, meanCosine } from './similarity.js';
export { buildVocabulary } from './vocab.js';
export { sharedMemoryModule } from './kernel.js';
