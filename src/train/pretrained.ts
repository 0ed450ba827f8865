/**
 * Pre-trained embeddings into a fresh parameter vector: every vocabulary token found in a word2vec text file
 * (read by src/train/embed/ readWord2VecText) gets its vector; tokens not in the file keep their random init.
 */

import { readFileSync } from 'node:fs';
import type { Embeddings } from './embed/types.js';
import { readWord2VecText } from './embed/format.js';
import type { ParamLayout } from './params.js';

export interface PretrainedStats {
  tensor: string;
  /** vocabulary entries (excluding <pad>, <unk>) */
  vocab: number;
  /** of which found in the embeddings file */
  found: number;
}

/** Copies vectors of `emb` into the rows of `tensor` ('embed.char' / 'embed.word' / 'embed.bigram') for the tokens of `vocab`. */
export function applyPretrained(layout: ParamLayout, flat: Float32Array, tensor: 'embed.char' | 'embed.word' | 'embed.bigram', vocab: readonly string[], emb: Embeddings, rowsPerToken = 1): PretrainedStats {
  const slot = layout.slot(tensor);
  const [rows, dim] = slot.shape;
  if (rows !== vocab.length * rowsPerToken) throw new Error(`applyPretrained: ${tensor} has ${rows} rows but the vocabulary ${vocab.length} entries × ${rowsPerToken}`);
  if (emb.dim !== dim) throw new Error(`applyPretrained: ${tensor} has dimension ${dim} but the embeddings file ${emb.dim}`);
  const index = new Map(emb.vocab.map((t, i) => [t, i]));
  let found = 0;
  for (let v = 2; v < vocab.length; v++) {
    const i = index.get(vocab[v]);
    if (i === undefined) continue;
    // every row of the token (one per word position when rowsPerToken = 4) starts from its vector
    for (let k = 0; k < rowsPerToken; k++) flat.set(emb.vectors.subarray(i * dim, (i + 1) * dim), slot.offset + (v * rowsPerToken + k) * dim);
    found++;
  }
  return { tensor, vocab: vocab.length - 2, found };
}

/** Reads a word2vec text file. */
export function loadWord2Vec(path: string): Embeddings {
  return readWord2VecText(readFileSync(path, 'utf8'));
}
