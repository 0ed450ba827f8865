/**
 * A small model with random weights, written through writeModel — for tests until a trained model exists.
 *
 *   const { bytes, header, weights } = randomModel({ text: '患者右下腹痛…', types: ['BODY', 'SIGNS'] });
 */

import { type Architecture, type Tensor, type Weights, tensorSpecs } from '../../src/model/layout.js';
import { type ModelHeader, writeModel } from '../../src/model/format.js';
import type { SegmenterSpec } from '../../src/segment/spec.js';
import type { ConsistencyTable } from '../../src/consistency/index.js';
import { buildVocab } from '../../src/features/index.js';
import { normalize, type NormalizeOptions } from '../../src/text/normalize.js';
import { tagSet } from '../../src/tags/bio.js';

export interface RandomModelOptions {
  /** text the vocabularies are built from (every code point → char vocab; words → word vocab) */
  text?: string;
  /** entity types (default BODY, SIGNS) */
  types?: string[];
  /** architecture sizes (vocab sizes and tag count come from the text and types) */
  arch?: Partial<Omit<Architecture, 'charVocab' | 'wordVocab' | 'tags'>>;
  /** seed of the weight generator (default 1) */
  seed?: number;
  /** weights are uniform in [-scale, scale] (default 0.5); CRF tensors use 2 × scale */
  scale?: number;
  /** store the quantizable 2-D tensors as int8 + .scale */
  int8?: boolean;
  segmenter?: SegmenterSpec;
  /** cut used to build the word vocabulary (default: one word per code point, like kind 'none') */
  cut?: (text: string) => string[];
  normalization?: NormalizeOptions;
  consistency?: ConsistencyTable | null;
  /** extra header fields */
  extra?: Record<string, unknown>;
  /** the word channel with 4 rows per word (B/M/E/S position), header.features.wordPositions */
  wordPositions?: boolean;
}

export interface RandomModel {
  bytes: Uint8Array;
  header: ModelHeader;
  weights: Weights;
}

/** mulberry32: a small seeded generator, [0, 1) (the corpus split's) */
import { mulberry32 as rng } from '../../src/corpus/split.js';
export { rng };

export function randomModel(options: RandomModelOptions = {}): RandomModel {
  const text = options.text ?? '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛。诊断：急性阑尾炎。';
  const types = options.types ?? ['BODY', 'SIGNS'];
  const normalization = options.normalization ?? { foldWidth: true, lowercase: false };
  const norm = normalize(text, normalization);
  const cut = options.cut ?? ((s: string) => Array.from(s));
  const chars = buildVocab(norm.tokens);
  const words = buildVocab(cut(norm.text));
  const labels = tagSet(types);
  const architecture: Architecture = {
    charVocab: chars.length,
    charDim: options.arch?.charDim ?? 8,
    wordVocab: words.length * (options.wordPositions ? 4 : 1),
    wordDim: options.arch?.wordDim ?? 4,
    lstm: options.arch?.lstm ?? [6, 5],
    tags: labels.length,
    crf: options.arch?.crf ?? true,
  };
  const random = rng(options.seed ?? 1);
  const scale = options.scale ?? 0.5;
  const weights: Weights = new Map();
  for (const spec of tensorSpecs(architecture)) {
    const n = spec.shape.reduce((p, d) => p * d, 1);
    const s = spec.name.startsWith('crf.') ? 2 * scale : scale;
    const data = new Float32Array(n); // [shape]
    for (let i = 0; i < n; i++) data[i] = (random() * 2 - 1) * s;
    if (options.int8 && spec.quantizable && spec.shape.length === 2) {
      const [rows, cols] = spec.shape;
      const q = new Int8Array(n); // [rows, cols]
      const sc = new Float32Array(rows); // [rows]
      for (let r = 0; r < rows; r++) {
        let max = 0;
        for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[r * cols + c]));
        sc[r] = max / 127;
        for (let c = 0; c < cols; c++) q[r * cols + c] = max === 0 ? 0 : Math.round(data[r * cols + c] / sc[r]);
      }
      weights.set(spec.name, { dtype: 'i8', shape: spec.shape, data: q } satisfies Tensor);
      weights.set(`${spec.name}.scale`, { dtype: 'f32', shape: [rows], data: sc });
    } else {
      weights.set(spec.name, { dtype: 'f32', shape: spec.shape, data });
    }
  }
  const header: ModelHeader = {
    name: 'random-test-model',
    version: '0.0.0',
    created: '2026-01-01T00:00:00.000Z',
    architecture,
    vocab: { chars, words },
    tags: { scheme: 'BIO', labels },
    normalization,
    segmenter: options.segmenter ?? { kind: 'none' },
    consistency: options.consistency ?? null,
    quantization: { scheme: options.int8 ? 'int8-per-row' : 'none' },
    training: { corpus: 'random weights (test helper)', seed: options.seed ?? 1, metrics: {} },
    ...(options.wordPositions ? { features: { wordPositions: true } } : {}),
    ...options.extra,
  };
  return { bytes: writeModel(header, weights), header, weights };
}

/**
 * A model whose tags are fixed per character, for exact tests: no LSTM, one-hot char embeddings and a dense
 * layer that gives `tagOf[char]` a large emission (every other character, and unknown ones, get 'O').
 * CRF transitions are zero, so decoding is per character and windows cannot change any result.
 */
export function lookupModel(options: {
  tagOf: Record<string, string>;
  /** extra characters in the vocabulary (tagged O) */
  chars?: string;
  types?: string[];
  crf?: boolean;
  /** emission of the chosen tag (default 8) */
  strength?: number;
  consistency?: ConsistencyTable | null;
  normalization?: NormalizeOptions;
}): RandomModel {
  const types = options.types ?? ['BODY', 'SIGNS'];
  const labels = tagSet(types);
  const chars = ['<pad>', '<unk>', ...new Set([...Object.keys(options.tagOf), ...Array.from(options.chars ?? '')])];
  const V = chars.length;
  const K = labels.length;
  const architecture: Architecture = { charVocab: V, charDim: V, wordVocab: 2, wordDim: 0, lstm: [], tags: K, crf: options.crf ?? true };
  const strength = options.strength ?? 8;
  const embed = new Float32Array(V * V); // [V × V] identity
  for (let i = 0; i < V; i++) embed[i * V + i] = 1;
  const dense = new Float32Array(K * V); // [K × V]
  chars.forEach((c, id) => {
    const tag = Object.hasOwn(options.tagOf, c) ? options.tagOf[c] : 'O';
    const y = labels.indexOf(tag);
    if (y < 0) throw new Error(`lookupModel: unknown tag ${tag}`);
    dense[y * V + id] = strength;
  });
  const weights: Weights = new Map([
    ['embed.char', { dtype: 'f32', shape: [V, V], data: embed }],
    ['dense.w', { dtype: 'f32', shape: [K, V], data: dense }],
    ['dense.b', { dtype: 'f32', shape: [K], data: new Float32Array(K) }],
  ]);
  if (architecture.crf) {
    weights.set('crf.trans', { dtype: 'f32', shape: [K, K], data: new Float32Array(K * K) });
    weights.set('crf.start', { dtype: 'f32', shape: [K], data: new Float32Array(K) });
    weights.set('crf.end', { dtype: 'f32', shape: [K], data: new Float32Array(K) });
  }
  const header: ModelHeader = {
    name: 'lookup-test-model',
    version: '0.0.0',
    created: '2026-01-01T00:00:00.000Z',
    architecture,
    vocab: { chars, words: ['<pad>', '<unk>'] },
    tags: { scheme: 'BIO', labels },
    normalization: options.normalization ?? { foldWidth: true, lowercase: false },
    segmenter: { kind: 'none' },
    consistency: options.consistency ?? null,
    quantization: { scheme: 'none' },
    training: { corpus: 'hand-made (test helper)', metrics: { test: { f1: 1 } } },
  };
  return { bytes: writeModel(header, weights), header, weights };
}
