/**
 * Vocabulary and token-id corpus shared by word2vec and GloVe.
 */
import type { CommonEmbedOptions } from './types.js';

export interface Vocabulary {
  /** tokens by descending count, ties in code-unit order (deterministic) */
  tokens: string[];
  counts: number[];
  index: Map<string, number>;
}

/** Checks the pre-tokenised input: an array of arrays of non-empty strings. */
export function validateSequences(sequences: unknown, who: string): asserts sequences is string[][] {
  if (!Array.isArray(sequences)) throw new TypeError(`${who}: expected sequences as string[][], got ${typeof sequences}`);
  for (let s = 0; s < sequences.length; s++) {
    const seq = sequences[s];
    if (!Array.isArray(seq)) throw new TypeError(`${who}: expected sequence ${s} to be a string[], got ${typeof seq}`);
    for (let i = 0; i < seq.length; i++) {
      if (typeof seq[i] !== 'string' || seq[i].length === 0) {
        throw new TypeError(`${who}: expected a non-empty string at sequence ${s}, position ${i}, got ${typeof seq[i] === 'string' ? 'an empty string' : typeof seq[i]}`);
      }
    }
  }
}

export function buildVocabulary(sequences: string[][], minCount: number): Vocabulary {
  const freq = new Map<string, number>();
  for (const seq of sequences) for (const tok of seq) freq.set(tok, (freq.get(tok) ?? 0) + 1);
  const kept = [...freq].filter(([, c]) => c >= minCount);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const tokens = kept.map(([t]) => t);
  const counts = kept.map(([, c]) => c);
  const index = new Map<string, number>();
  tokens.forEach((t, i) => index.set(t, i));
  return { tokens, counts, index };
}

/** Token ids of every sequence, out-of-vocabulary tokens removed, each sequence followed by -1. */
export function encodeCorpus(sequences: string[][], vocab: Vocabulary): { ids: Int32Array; tokens: number } {
  let n = 0;
  for (const seq of sequences) n += seq.length + 1;
  const ids = new Int32Array(n); // [tokens + sequences]
  let p = 0;
  let tokens = 0;
  for (const seq of sequences) {
    for (const tok of seq) {
      const id = vocab.index.get(tok);
      if (id !== undefined) {
        ids[p++] = id;
        tokens++;
      }
    }
    if (p > 0 && ids[p - 1] !== -1) ids[p++] = -1;
  }
  return { ids: ids.subarray(0, p), tokens };
}

/** Integer option check: a finite integer within [min, max], else a clear error. */
export function intOption(who: string, name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${who}: expected ${name} to be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

export function numOption(who: string, name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new RangeError(`${who}: expected ${name} to be a number in [${min}, ${max}], got ${v}`);
  return v;
}

/** The options both trainers share, checked, with the paper's defaults (dim 50, window 4, 100 iterations). */
export function commonOptions(who: string, opts: CommonEmbedOptions) {
  return {
    dim: intOption(who, 'dim', opts.dim, 50, 1, 4096),
    window: intOption(who, 'window', opts.window, 4, 1, 100),
    iterations: intOption(who, 'iterations', opts.iterations, 100, 1, 100000),
    minCount: intOption(who, 'minCount', opts.minCount, 5, 1, 2 ** 31 - 1),
    seed: intOption(who, 'seed', opts.seed, 1, 0, 2 ** 32 - 1),
    threads: intOption(who, 'threads', opts.threads, 1, 1, 64),
  };
}

/**
 * Splits [0, n) into `parts` ranges of about equal size whose cut points satisfy `isCut(i)`
 * (a cut at i means a range starts at i); a range may come out empty for tiny inputs.
 */
export function splitRanges(n: number, parts: number, isCut: (i: number) => boolean): [number, number][] {
  const cuts = [0];
  for (let k = 1; k < parts; k++) {
    let c = Math.max(cuts[cuts.length - 1], Math.round((n * k) / parts));
    while (c < n && !isCut(c)) c++;
    cuts.push(c);
  }
  cuts.push(n);
  const out: [number, number][] = [];
  for (let k = 0; k < parts; k++) out.push([cuts[k], cuts[k + 1]]);
  return out;
}
