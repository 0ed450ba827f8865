/** Cosine similarity queries over embeddings (for checks, reports and the CLI). */
import type { Embeddings } from './types.js';

function norm(v: Float32Array, off: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += v[off + k] * v[off + k];
  return Math.sqrt(s);
}

function row(emb: Embeddings, token: string, who: string): number {
  const r = emb.vocab.indexOf(token);
  if (r < 0) throw new Error(`${who}: token not in the vocabulary (length ${token.length})`);
  return r;
}

/** Cosine similarity of two tokens' vectors. */
export function cosine(emb: Embeddings, a: string, b: string): number {
  const ra = row(emb, a, 'cosine') * emb.dim;
  const rb = row(emb, b, 'cosine') * emb.dim;
  let dot = 0;
  for (let k = 0; k < emb.dim; k++) dot += emb.vectors[ra + k] * emb.vectors[rb + k];
  return dot / (norm(emb.vectors, ra, emb.dim) * norm(emb.vectors, rb, emb.dim) || 1);
}

/** The k tokens nearest to `token` by cosine similarity (itself excluded). */
export function nearest(emb: Embeddings, token: string, k = 10): { token: string; similarity: number }[] {
  const { dim, vectors, vocab } = emb;
  const q = row(emb, token, 'nearest') * dim;
  const qn = norm(vectors, q, dim) || 1;
  const scored: { token: string; similarity: number }[] = [];
  for (let r = 0; r < vocab.length; r++) {
    if (r * dim === q) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += vectors[q + j] * vectors[r * dim + j];
    scored.push({ token: vocab[r], similarity: dot / (qn * (norm(vectors, r * dim, dim) || 1)) });
  }
  scored.sort((x, y) => y.similarity - x.similarity);
  return scored.slice(0, k);
}

/** Mean pairwise cosine similarity between two token sets (pairs of a token with itself skipped). */
export function meanCosine(emb: Embeddings, as: string[], bs: string[]): number {
  let s = 0;
  let n = 0;
  for (const a of as) for (const b of bs) {
    if (a === b) continue;
    s += cosine(emb, a, b);
    n++;
  }
  return n ? s / n : NaN;
}
