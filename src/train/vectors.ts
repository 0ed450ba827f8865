/**
 * Pre-trained vectors for a run: word2vec char / word / bigram vectors on the texts the network is fitted on
 * (plus unlabeled text), with the words cut by the segmenter the run itself will build, so the vocabularies
 * match. Shared by `cner train` (a config with a "pretrain" section) and scripts/train-default.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/output-file.js';
import { dirname, join, relative } from 'node:path';
import type { Doc } from '../corpus/document.js';
import { bigramAt } from '../features/index.js';
import { createSegmenter, type Segmenter, type SegmenterSpec } from '../segment/index.js';
import type { NormalizeOptions } from '../text/normalize.js';
import { taggableSentences } from '../text/sentences.js';
import type { PretrainSettings, TrainConfig } from './config.js';
import { buildFeatureSpace } from './data.js';
import { trainWord2Vec, writeWord2VecText } from './embed/index.js';
import type { SegdictVariant } from './segdict.js';

/** The segmenter spec runTraining will build for these inputs (the same function on the same texts). */
export function buildRunSegmenter(trainDocs: readonly Doc[], unlabeled: readonly string[], variant: SegdictVariant, segmenterLexicon?: readonly string[]): SegmenterSpec {
  return buildFeatureSpace(trainDocs, { segmenter: variant, extraTexts: unlabeled, segmenterLexicon }).segmenter;
}

/**
 * Token sequences for pre-training, one per sentence as the tagger sees them (taggableSentences: split,
 * normalise, trim): code points, or the segmenter's words.
 */
export function pretrainSequences(texts: Iterable<string>, segmenter?: Segmenter, normalization: NormalizeOptions = {}): string[][] {
  const out: string[][] = [];
  for (const text of texts) {
    for (const s of taggableSentences(text, normalization)) out.push(segmenter ? segmenter.cut(s.tokens.join('')) : s.tokens);
  }
  return out;
}

/** Character sequences → their bigram sequences (src/features bigramAt: the tagger's bigrams). */
export function bigramSequences(charSequences: readonly string[][]): string[][] {
  return charSequences.map((s) => s.map((_, t) => bigramAt(s, t)));
}

/** Trains word2vec vectors on `sequences` and writes them (word2vec text format) to `path`; returns seconds. */
export async function pretrainVectors(sequences: string[][], dim: number, settings: PretrainSettings, path: string, log: (s: string) => void): Promise<number> {
  const t0 = performance.now();
  const tokens = sequences.reduce((a, s) => a + s.length, 0);
  let last = 0;
  const emb = await trainWord2Vec(sequences, {
    dim,
    window: settings.window,
    iterations: settings.iterations,
    minCount: settings.minCount,
    negative: settings.negative,
    seed: settings.seed,
    threads: settings.threads,
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 30000 && p.iteration < p.iterations) return;
      last = now;
      log(`  ${relative(process.cwd(), path)}: iteration ${p.iteration}/${p.iterations} (${(100 * p.fraction).toFixed(0)}%), ${((now - t0) / 1000).toFixed(0)} s`);
    },
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, writeWord2VecText(emb));
  const seconds = (performance.now() - t0) / 1000;
  log(`  wrote ${relative(process.cwd(), path)}: ${emb.vocab.length} vectors × ${dim} from ${sequences.length} sentences, ${tokens} tokens × ${settings.iterations} iterations in ${seconds.toFixed(0)} s`);
  return seconds;
}

export interface MakeVectorsOptions {
  /** the texts to pre-train on: the fitted documents' texts and any unlabeled lines (never the test split) */
  texts: string[];
  /** the segmenter the run will use (the word vectors' words) */
  segmenter: SegmenterSpec;
  /** which channels get vectors, and their sizes (charDim, wordDim, bigramDim); a channel whose file config.embeddings names keeps it */
  config: TrainConfig;
  pretrain: PretrainSettings;
  /** folder for char.vec, word.vec, bigram.vec */
  dir: string;
  log: (s: string) => void;
  /** true = keep an existing file of that name (its step is skipped) */
  keep?: (path: string, step: string) => boolean;
  /** called with the channel and its seconds after each file is made */
  onMade?: (kind: 'char' | 'word' | 'bigram', seconds: number) => void;
  /** how the log names the step (default 'vectors') */
  step?: string;
}

/**
 * Makes (or keeps) the vector file of every channel the config has and names no file for; returns config.embeddings
 * with those files added.
 */
export async function makeVectors(o: MakeVectorsOptions): Promise<TrainConfig['embeddings']> {
  const step = o.step ?? 'vectors';
  const paths: TrainConfig['embeddings'] = { ...o.config.embeddings };
  const channels = [
    ['char', o.config.charDim, 'characters', () => pretrainSequences(o.texts)],
    ['word', o.config.wordDim, 'words of the run\'s segmenter', () => pretrainSequences(o.texts, createSegmenter(o.segmenter))],
    ['bigram', o.config.bigramDim, 'character bigrams', () => bigramSequences(pretrainSequences(o.texts))],
  ] as const;
  for (const [kind, dim, tokens, sequences] of channels) {
    if (dim <= 0 || paths[kind]) continue;
    const path = join(o.dir, `${kind}.vec`);
    paths[kind] = path;
    const name = `${step} ${kind} vectors`;
    if (existsSync(path) && o.keep?.(path, name)) continue;
    o.log(`${name}: word2vec dim ${dim} on the ${tokens} of ${o.texts.length} texts, ${o.pretrain.iterations} iterations`);
    const seconds = await pretrainVectors(sequences(), dim, o.pretrain, path, o.log);
    o.onMade?.(kind, seconds);
  }
  return paths;
}
