/**
 * The training configuration (a JSON file; every field optional, defaults = the paper's setup):
 * char + word embeddings 50 + 50, BiLSTM 128 then 64, dropout 0.5 after each BiLSTM layer, CRF on top,
 * Adam (lr 1e-3) with the global gradient norm clipped to 5, mini-batches of 32 sentences bucketed by
 * length, early stopping on dev F1.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type SplitMode, SPLIT_MODES, isSplitMode } from '../corpus/split.js';
import type { Architecture } from '../model/layout.js';
import { type AdamOptions, DEFAULT_ADAM, validateAdam } from './backend.js';

export interface TrainConfig {
  /** char / word embedding sizes (0 disables one) */
  charDim: number;
  wordDim: number;
  /** hidden size of each BiLSTM layer, bottom first */
  lstm: number[];
  /** word channel also encodes the character's position in its word (B/M/E/S): 4 rows per word */
  wordPositions: boolean;
  /**
   * size of the entity-lexicon embeddings (src/features/lexicon.ts): per entity type, where the character sits
   * in a match of a training entity string; 0 = no lexicon channel (the paper's input)
   */
  lexDim: number;
  /** size of the character-bigram embeddings (bigram of each character and the next); 0 = none (the paper's input) */
  bigramDim: number;
  /** bigrams seen at least this often in the training texts get their own row */
  bigramMinCount: number;
  /** folds of the jackknife that gives each training document a lexicon without its own fold's entities */
  lexiconFolds: number;
  /** dropout after each BiLSTM layer */
  dropout: number;
  /** CRF on top (false: per-step softmax, the "BiLSTM" baseline) */
  crf: boolean;
  optimizer: AdamOptions;
  /**
   * decay of an exponential moving average of the weights (Polyak averaging), updated after every step; when
   * > 0 every epoch scores the AVERAGED weights and the raw ones on dev and the better stands for the epoch (ties:
   * the average; with no dev sentences: the average), so the kept model never scores below the plain run's on dev.
   * 0 = off (the paper's setup).
   * The average starts at the initial weights and warms up: its decay at step t is min(ema, (1 + t) / (10 + t))
   * (trainer emaDecay), so a run of one or two epochs is not scored on weights that are still mostly the random
   * initialisation; `ema` itself governs only after about 10 / (1 − ema) steps (0.999: ~9,000 steps).
   */
  ema: number;
  /** sentences per mini-batch */
  batchSize: number;
  /**
   * what the network is fitted on. 'train' (the paper's protocol): the train split, early stopping and the best
   * epoch chosen on dev. 'train+dev' (a final fit): the dev records join the training data (vocabularies,
   * consistency table, lexicons, sentences), nothing is selected on dev: the run trains exactly `epochs` epochs
   * and keeps the last (averaged) weights, so set `epochs` to the best epoch of a 'train' run. The test split is
   * held out either way.
   */
  trainOn: 'train' | 'train+dev';
  /**
   * how the corpus's records are split into train/dev/test (src/corpus/split.ts): 'random' (seeded shuffle, seed
   * 2017; the paper's protocol) or 'blocked' (contiguous by record id: test = the last 10 %, dev = the 10 % before).
   */
  split: SplitMode;
  /** maximum epochs (with trainOn 'train+dev': exactly this many) */
  epochs: number;
  /** stop after this many epochs without a better dev F1 (0 = never stop early) */
  patience: number;
  seed: number;
  /** data-parallel worker threads; 1 = train in this thread (bit-reproducible) */
  workers: number;
  /** training sentences longer than this are split into pieces of at most this many characters */
  maxSentenceLength: number;
  /** pre-trained embeddings in word2vec text format (tokens missing from a file keep their random init) */
  embeddings: { char?: string; word?: string; bigram?: string };
  /**
   * labelled corpora (any readable format: JSON Lines, CCKS, BIO, brat, Yidu) whose documents join the TRAINING
   * sentences after the record split — e.g. unlabeled text labelled by a vote of trained models (a teacher
   * ensemble; scripts/pseudo-label.ts). They add training sentences only: the vocabularies, the segmenter, the
   * consistency table and the dev/test split come from the corpus alone. Empty = none (the paper's setup).
   */
  extraTrain: string[];
  /** write a resumable checkpoint at least this often (minutes) and at the end of every epoch */
  checkpointMinutes: number;
  /**
   * where the training runs: 'wasm' (the SIMD kernels on the CPU), 'webgpu' (the GPU through WebGPU) or 'auto'
   * (WebGPU when the adapter is a real GPU, else wasm).
   */
  backend: TrainingBackendKind;
}

/** The training backends a config may name (TrainConfig.backend). */
export const TRAINING_BACKENDS = ['wasm', 'webgpu', 'auto'] as const;
export type TrainingBackendKind = (typeof TRAINING_BACKENDS)[number];

export const DEFAULT_CONFIG: TrainConfig = {
  charDim: 50,
  wordDim: 50,
  lstm: [128, 64],
  wordPositions: false,
  lexDim: 0,
  bigramDim: 0,
  bigramMinCount: 2,
  lexiconFolds: 5,
  dropout: 0.5,
  crf: true,
  optimizer: { ...DEFAULT_ADAM },
  ema: 0,
  batchSize: 32,
  trainOn: 'train',
  split: 'random',
  epochs: 30,
  patience: 5,
  seed: 1,
  workers: 2,
  maxSentenceLength: 150,
  embeddings: {},
  extraTrain: [],
  checkpointMinutes: 5,
  backend: 'auto',
};

/** Word2vec settings for pre-training the char / word vectors (the vector sizes are the config's charDim / wordDim). */
export interface PretrainSettings {
  /** passes over the corpus (the paper: 100) */
  iterations: number;
  /** context window each side */
  window: number;
  /** tokens seen fewer times get no vector */
  minCount: number;
  negative: number;
  /** word2vec seed (independent of the training seed: the vectors are shared by every training seed) */
  seed: number;
  /** 1 = bit-for-bit deterministic; more threads train Hogwild-style (faster, not deterministic) */
  threads: number;
}

export const DEFAULT_PRETRAIN: PretrainSettings = { iterations: 100, window: 4, minCount: 5, negative: 5, seed: 1, threads: 1 };

const KEYS = new Set(Object.keys(DEFAULT_CONFIG));

/** The pre-trained embedding files a config may name (config.embeddings keys). */
export const EMBEDDING_KINDS = ['char', 'word', 'bigram'] as const;

/**
 * Config fields added after the first models, caches and fingerprints were made. identityOf() leaves them out
 * while they hold their defaults, so what was keyed before they existed keeps its key.
 */
export const LATER_FIELDS = ['lexDim', 'lexiconFolds', 'bigramDim', 'bigramMinCount', 'ema', 'trainOn', 'extraTrain', 'split', 'backend'] as const;

/** The config fields that decide what a run trains, for cache keys and fingerprints (later fields at their defaults dropped). */
export function identityOf(c: TrainConfig): Record<string, unknown> {
  const k: Record<string, unknown> = { ...c };
  for (const f of LATER_FIELDS) if (JSON.stringify(c[f]) === JSON.stringify(DEFAULT_CONFIG[f])) delete k[f];
  return k;
}

/** Defaults overlaid with `partial` (optimizer fields merge one by one); throws on unknown or invalid fields. */
export function resolveConfig(partial: Partial<Omit<TrainConfig, 'optimizer'>> & { optimizer?: Partial<AdamOptions> } = {}): TrainConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) throw new Error(`config: expected an object, got ${typeof partial}`);
  for (const k of Object.keys(partial)) if (!KEYS.has(k)) throw new Error(`config: unknown field '${k}' (known: ${[...KEYS].join(', ')})`);
  const c: TrainConfig = {
    ...DEFAULT_CONFIG,
    ...partial,
    optimizer: { ...DEFAULT_CONFIG.optimizer, ...(partial.optimizer ?? {}) },
    embeddings: { ...(partial.embeddings ?? {}) },
    lstm: [...(partial.lstm ?? DEFAULT_CONFIG.lstm)],
    extraTrain: Array.isArray(partial.extraTrain) ? [...partial.extraTrain] : (partial.extraTrain ?? []),
  } as TrainConfig;
  const int = (name: keyof TrainConfig, min: number) => {
    const v = c[name];
    if (!(Number.isInteger(v) && (v as number) >= min)) throw new Error(`config: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  };
  int('charDim', 0);
  int('wordDim', 0);
  if (c.charDim + c.wordDim === 0) throw new Error('config: charDim + wordDim must be > 0');
  int('lexDim', 0);
  int('bigramDim', 0);
  int('bigramMinCount', 1);
  int('lexiconFolds', 2);
  if (typeof c.wordPositions !== 'boolean') throw new Error(`config: wordPositions must be true or false, got ${JSON.stringify(c.wordPositions)}`);
  if (!Array.isArray(c.lstm) || !c.lstm.every((h) => Number.isInteger(h) && h > 0)) throw new Error(`config: lstm must be a list of positive integers, got ${JSON.stringify(c.lstm)}`);
  if (!(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1)) throw new Error(`config: dropout must be in [0, 1), got ${JSON.stringify(c.dropout)}`);
  if (typeof c.crf !== 'boolean') throw new Error(`config: crf must be true or false, got ${JSON.stringify(c.crf)}`);
  validateAdam(c.optimizer);
  if (!(typeof c.ema === 'number' && c.ema >= 0 && c.ema < 1)) throw new Error(`config: ema must be in [0, 1), got ${JSON.stringify(c.ema)}`);
  int('batchSize', 1);
  if (c.trainOn !== 'train' && c.trainOn !== 'train+dev') throw new Error(`config: trainOn must be 'train' or 'train+dev', got ${JSON.stringify(c.trainOn)}`);
  if (!isSplitMode(c.split)) throw new Error(`config: split must be ${SPLIT_MODES.map((m) => `'${m}'`).join(' or ')}, got ${JSON.stringify(c.split)}`);
  int('epochs', 1);
  int('patience', 0);
  int('seed', 0);
  int('workers', 1);
  int('maxSentenceLength', 1);
  if (!(typeof c.checkpointMinutes === 'number' && c.checkpointMinutes > 0)) throw new Error(`config: checkpointMinutes must be > 0, got ${JSON.stringify(c.checkpointMinutes)}`);
  if (!(TRAINING_BACKENDS as readonly unknown[]).includes(c.backend)) {
    throw new Error(`config: backend must be ${TRAINING_BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(c.backend)}`);
  }
  for (const [k, v] of Object.entries(c.embeddings)) {
    if (!(EMBEDDING_KINDS as readonly string[]).includes(k)) throw new Error(`config: embeddings.${k} unknown (expected ${EMBEDDING_KINDS.join(' / ')})`);
    if (v !== undefined && typeof v !== 'string') throw new Error(`config: embeddings.${k} must be a file path`);
  }
  if (!Array.isArray(c.extraTrain) || !c.extraTrain.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new Error(`config: extraTrain must be a list of corpus paths, got ${JSON.stringify(c.extraTrain)}`);
  }
  return c;
}

/** Reads a JSON config file (relative embedding and extraTrain paths resolve against the config's folder). */
export function loadConfig(path: string): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`config ${path}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const c = resolveConfig(raw as Partial<TrainConfig>);
  for (const k of EMBEDDING_KINDS) {
    const p = c.embeddings[k];
    if (p) c.embeddings[k] = resolve(dirname(resolve(path)), p);
  }
  c.extraTrain = c.extraTrain.map((p) => resolve(dirname(resolve(path)), p));
  return c;
}

/** The network architecture a config describes, for the given vocabulary and tag-set sizes. */
export function architectureFor(c: TrainConfig, sizes: { charVocab: number; wordVocab: number; tags: number; bigramVocab?: number }): Architecture {
  const arch: Architecture = { charVocab: sizes.charVocab, charDim: c.charDim, wordVocab: sizes.wordVocab, wordDim: c.wordDim, lstm: [...c.lstm], tags: sizes.tags, crf: c.crf };
  if (c.bigramDim > 0) {
    if (!(sizes.bigramVocab !== undefined && sizes.bigramVocab >= 2)) throw new Error('architectureFor: bigramDim > 0 needs the bigram vocabulary size');
    arch.bigramVocab = sizes.bigramVocab;
    arch.bigramDim = c.bigramDim;
  }
  if (c.lexDim > 0) {
    // one lexicon slot per entity type of the BIO tag set ['O', B-/I- per type]
    arch.lexTypes = (sizes.tags - 1) / 2;
    arch.lexDim = c.lexDim;
  }
  return arch;
}
