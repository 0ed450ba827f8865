/**
 * The training configuration (a JSON file; every field optional, defaults = the paper's setup):
 * char + word embeddings 50 + 50, BiLSTM 128 then 64, dropout 0.5 after each BiLSTM layer, CRF on top,
 * Adam (lr 1e-3) with the global gradient norm clipped to 5, mini-batches of 32 sentences bucketed by
 * length, early stopping on dev F1.
 */

import { type SplitMode, SPLIT_MODES } from '../corpus/split.js';
import { configFolder, readConfigFile, resolveConfigPaths } from '../io/config-file.js';
import type { Architecture } from '../model/layout.js';
import { type JsonSchema, assertConfig, defaultsOf, withDefaults } from '../schema/index.js';
import { type AugmentSettings, NO_AUGMENT } from './augment.js';
import { type AdamOptions, DEFAULT_ADAM } from './backend.js';
import { CHAR_LM_DEFAULTS, type CharLmSettings } from './charlm.js';
import type { SegdictVariant } from './segdict.js';

/** A training configuration, every field filled (TRAIN_CONFIG_SCHEMA says what each means and its default). */
export interface TrainConfig {
  charDim: number;
  wordDim: number;
  lstm: number[];
  wordPositions: boolean;
  lexDim: number;
  bigramDim: number;
  bigramMinCount: number;
  lexiconFolds: number;
  dropout: number;
  crf: boolean;
  optimizer: AdamOptions;
  ema: number;
  batchSize: number;
  trainOn: TrainOn;
  split: SplitMode;
  epochs: number;
  patience: number;
  seed: number;
  workers: number;
  maxSentenceLength: number;
  embeddings: { char?: string; word?: string; bigram?: string };
  extraTrain: string[];
  checkpointMinutes: number;
  backend: TrainingBackendKind;
  segmenterLexicon: string;
  augment: AugmentSettings;
  charLm: CharLmSettings;
  outsideLexDim: number;
  outsideLexicon: string;
}

/** What the network is fitted on (TrainConfig.trainOn; fitDocs in ./run.ts). */
export const TRAIN_ON = ['train', 'train+dev', 'all'] as const;
export type TrainOn = (typeof TRAIN_ON)[number];

/** The training backends a config may name (TrainConfig.backend). */
export const TRAINING_BACKENDS = ['wasm', 'webgpu', 'auto'] as const;
export type TrainingBackendKind = (typeof TRAINING_BACKENDS)[number];

/** The segmenter variants a run or retraining config may name (src/train/segdict.ts). */
export const SEGMENTER_VARIANTS: readonly SegdictVariant[] = ['none', 'jieba', 'jieba+entities'];

/** The pre-trained embedding files a config may name (config.embeddings keys). */
export const EMBEDDING_KINDS = ['char', 'word', 'bigram'] as const;

const int = (minimum: number, value: number, description: string): JsonSchema => ({
  type: 'integer',
  minimum,
  default: value,
  description,
});
const fraction = (value: number, description: string): JsonSchema => ({
  type: 'number',
  minimum: 0,
  exclusiveMaximum: 1,
  default: value,
  description,
});
const flag = (value: boolean, description: string): JsonSchema => ({ type: 'boolean', default: value, description });

const TRAIN_FIELDS: { [K in keyof TrainConfig]: JsonSchema } = {
  charDim: int(0, 50, 'size of the character embeddings (0 = no character channel)'),
  wordDim: int(0, 50, 'size of the word embeddings (0 = no word channel); charDim + wordDim must be > 0'),
  lstm: {
    type: 'array',
    minItems: 1,
    items: { type: 'integer', minimum: 1 },
    default: [128, 64],
    description: 'hidden size of each BiLSTM layer, bottom first',
  },
  wordPositions: flag(
    false,
    "the word channel also encodes the character's position in its word (B/M/E/S): 4 rows per word",
  ),
  lexDim: int(
    0,
    0,
    'size of the entity-lexicon embeddings (src/features/lexicon.ts): per entity type, where the character sits in a ' +
      "match of a training entity string; 0 = no lexicon channel (the paper's input)",
  ),
  bigramDim: int(
    0,
    0,
    "size of the character-bigram embeddings (bigram of each character and the next); 0 = none (the paper's input)",
  ),
  bigramMinCount: int(1, 2, 'bigrams seen at least this often in the training texts get their own row'),
  lexiconFolds: int(
    2,
    5,
    "folds of the jackknife that gives each training document a lexicon without its own fold's entities",
  ),
  dropout: fraction(0.5, 'dropout after each BiLSTM layer'),
  crf: flag(true, 'CRF on top (false: per-step softmax, the "BiLSTM" baseline)'),
  optimizer: {
    type: 'object',
    additionalProperties: false,
    description: 'Adam; each field optional (the others keep their defaults)',
    properties: {
      lr: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_ADAM.lr, description: 'learning rate' },
      beta1: fraction(DEFAULT_ADAM.beta1, 'decay of the first-moment estimate'),
      beta2: fraction(DEFAULT_ADAM.beta2, 'decay of the second-moment estimate'),
      eps: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_ADAM.eps, description: 'added to the denominator' },
      clip: {
        type: 'number',
        minimum: 0,
        default: DEFAULT_ADAM.clip,
        description: 'clip the global gradient norm to this value; 0 = no clipping',
      },
    },
  },
  ema: fraction(
    0,
    'decay of an exponential moving average of the weights (Polyak averaging), updated after every step; when > 0 ' +
      'every epoch scores the AVERAGED weights and the raw ones on dev and the better stands for the epoch (ties: the ' +
      "average; with no dev sentences: the average), so the kept model never scores below the plain run's on dev. " +
      "0 = off (the paper's setup). The average starts at the initial weights and warms up: its decay at step t is " +
      'min(ema, (1 + t) / (10 + t)), so a run of one or two epochs is not scored on weights that are still mostly the ' +
      'random initialisation; `ema` itself governs only after about 10 / (1 − ema) steps (0.999: ~9,000 steps)',
  ),
  batchSize: int(1, 32, 'sentences per mini-batch'),
  trainOn: {
    enum: TRAIN_ON,
    default: 'train',
    description:
      "what the network is fitted on. 'train' (the paper's protocol): the train split, early stopping and the best " +
      "epoch chosen on dev. 'train+dev' (a final fit): the dev records join the training data (vocabularies, " +
      'consistency table, lexicons, sentences), nothing is selected on dev: the run trains exactly `epochs` epochs and ' +
      "keeps the last (averaged) weights, so set `epochs` to the best epoch of a 'train' run; the test split is held " +
      "out. 'all' (the shipped model's refit): every record, test included, trains the network the same way; nothing " +
      'is held out, so its figures are those of the selection runs that chose the recipe and the epoch count',
  },
  split: {
    enum: SPLIT_MODES,
    default: 'random',
    description:
      "how the corpus's records are split into train/dev/test (src/corpus/split.ts): 'random' (seeded shuffle, seed " +
      "2017; the paper's protocol) or 'blocked' (contiguous by record id: test = the last 10 %, dev = the 10 % before)",
  },
  epochs: int(1, 30, "maximum epochs (with trainOn 'train+dev' or 'all': exactly this many)"),
  patience: int(0, 5, 'stop after this many epochs without a better dev F1 (0 = never stop early)'),
  seed: int(0, 1, 'training seed (initialisation, batches, dropout)'),
  workers: int(1, 2, 'data-parallel worker threads; 1 = train in this thread (bit-reproducible)'),
  maxSentenceLength: int(
    1,
    150,
    'training sentences longer than this are split into pieces of at most this many characters',
  ),
  embeddings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description:
      'pre-trained embeddings in word2vec text format, one file per channel (tokens missing from a file keep their ' +
      'random init)',
    properties: Object.fromEntries(
      EMBEDDING_KINDS.map((k) => [k, { type: 'string', minLength: 1, 'x-path': 'path', description: `${k} vectors` }]),
    ),
  },
  extraTrain: {
    type: 'array',
    items: { type: 'string', minLength: 1, 'x-path': 'path' },
    default: [],
    description:
      'labelled corpora (any readable format: JSON Lines, CCKS, BIO, brat, Yidu) whose documents join the TRAINING ' +
      'sentences after the record split — e.g. unlabeled text labelled by a vote of trained models (a teacher ' +
      'ensemble; scripts/pseudo-label.ts). They add training sentences only: the vocabularies, the segmenter, the ' +
      "consistency table and the dev/test split come from the corpus alone. Empty = none (the paper's setup)",
  },
  checkpointMinutes: {
    type: 'number',
    exclusiveMinimum: 0,
    default: 5,
    description: 'write a resumable checkpoint at least this often (minutes) and at the end of every epoch',
  },
  backend: {
    enum: TRAINING_BACKENDS,
    default: 'auto',
    description:
      "where the training runs: 'wasm' (the SIMD kernels on the CPU), 'webgpu' (the GPU through WebGPU) or 'auto' " +
      '(WebGPU when the adapter is a real GPU, else wasm)',
  },
  segmenterLexicon: {
    type: 'string',
    'x-path': 'path',
    default: '',
    description:
      "an outside word list (`word [freq]` lines, THUOCL's format) whose words join the segmenter's dictionary, " +
      "kept unpruned; also a source of augment's replacements. '' = none",
  },
  augment: {
    type: 'object',
    additionalProperties: false,
    description:
      'copies of the training documents in which entities are replaced by other strings of their type ' +
      '(src/train/augment.ts); training sentences only',
    properties: {
      copies: int(0, NO_AUGMENT.copies, 'augmented copies of each training document (0 = off)'),
      prob: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 1,
        default: NO_AUGMENT.prob,
        description: 'chance that an entity of a copy is replaced',
      },
      lexiconTypes: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: NO_AUGMENT.lexiconTypes,
        description: 'entity types whose replacements may also be words of segmenterLexicon',
      },
      types: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: NO_AUGMENT.types,
        description: 'the entity types that are replaced ([] = every type)',
      },
    },
  },
  charLm: {
    type: 'object',
    additionalProperties: false,
    description:
      'contextual character features (src/train/charlm.ts): a forward and a backward character LSTM language model, ' +
      "pre-trained before the run on the unlabeled texts (--unlabeled) and the training part's texts, frozen, their " +
      'hidden states an input channel; stored in the model file and run by the tagger',
    properties: {
      hidden: int(0, 0, 'hidden size of each LM, a multiple of 8 (0 = no charLm channel)'),
      dim: int(1, 32, "size of the LMs' input character embeddings"),
      steps: int(1, CHAR_LM_DEFAULTS.steps, 'Adam steps of pre-training per direction'),
      batch: int(1, CHAR_LM_DEFAULTS.batch, 'text pieces per step'),
      seqLen: int(1, CHAR_LM_DEFAULTS.seqLen, 'characters per piece (truncated back-propagation)'),
      lr: { type: 'number', exclusiveMinimum: 0, default: CHAR_LM_DEFAULTS.lr, description: 'Adam learning rate' },
    },
  },
  outsideLexDim: int(
    0,
    0,
    'size of the outside-lexicon embeddings (src/features/outside-lexicon.ts): where the character sits in matches of ' +
      'an outside word list (untyped: its set of B/M/E/S places over all matches, 16 rows); the list is outsideLexicon, ' +
      'else the segmenterLexicon words; 0 = no outsideLex channel',
  ),
  outsideLexicon: {
    type: 'string',
    'x-path': 'path',
    default: '',
    description:
      "the outsideLex channel's word list (`word [freq]` lines, THUOCL's format), stored in the model file. '' = the " +
      "words of segmenterLexicon, stored once: the model file marks them in the segmenter's dictionary, which holds them",
  },
};

/**
 * The training configuration file (and the `train` section of a retraining config): every field optional, the
 * defaults are the paper's setup.
 */
export const TRAIN_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: TRAIN_FIELDS,
};

/** Every field at its default (from TRAIN_CONFIG_SCHEMA). */
export const DEFAULT_CONFIG = defaultsOf(TRAIN_CONFIG_SCHEMA) as unknown as TrainConfig;

/** Word2vec settings for pre-training the char / word vectors (the vector sizes are the config's charDim / wordDim). */
export interface PretrainSettings {
  iterations: number;
  window: number;
  minCount: number;
  negative: number;
  seed: number;
  threads: number;
}

const PRETRAIN_FIELDS: { [K in keyof PretrainSettings]: JsonSchema } = {
  iterations: int(1, 100, 'passes over the corpus (the paper: 100)'),
  window: int(1, 4, 'context window each side'),
  minCount: int(1, 5, 'tokens seen fewer times get no vector'),
  negative: int(1, 5, 'negative samples per context word'),
  seed: int(0, 1, 'word2vec seed (independent of the training seed: the vectors are shared by every training seed)'),
  threads: int(1, 1, '1 = bit-for-bit deterministic; more threads train Hogwild-style (faster, not deterministic)'),
};

/** A run config's `pretrain` section (every field optional). */
export const PRETRAIN_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: PRETRAIN_FIELDS,
  description:
    "word2vec pre-training of the vectors the config names no file for (sizes: charDim, wordDim, bigramDim); the recipe's vectors",
};

export const DEFAULT_PRETRAIN = defaultsOf(PRETRAIN_SCHEMA) as unknown as PretrainSettings;

/**
 * Config fields added after the first models, caches and fingerprints were made. identityOf() leaves them out
 * while they hold their defaults, so what was keyed before they existed keeps its key.
 */
export const LATER_FIELDS = [
  'lexDim',
  'lexiconFolds',
  'bigramDim',
  'bigramMinCount',
  'ema',
  'trainOn',
  'extraTrain',
  'split',
  'backend',
  'segmenterLexicon',
  'augment',
  'charLm',
  'outsideLexDim',
  'outsideLexicon',
] as const;

/** The config fields that decide what a run trains, for cache keys and fingerprints (later fields at their defaults dropped). */
export function identityOf(c: TrainConfig): Record<string, unknown> {
  const k: Record<string, unknown> = { ...c };
  for (const f of LATER_FIELDS) if (JSON.stringify(c[f]) === JSON.stringify(DEFAULT_CONFIG[f])) delete k[f];
  return k;
}

export type PartialTrainConfig = Partial<Omit<TrainConfig, 'optimizer'>> & { optimizer?: Partial<AdamOptions> };

/**
 * Defaults overlaid with `partial` (optimizer fields merge one by one); throws `${label}: field: what was expected,
 * got what` on unknown or invalid fields.
 */
export function resolveConfig(partial: PartialTrainConfig = {}, label = 'config'): TrainConfig {
  assertConfig(partial, TRAIN_CONFIG_SCHEMA, label);
  const c = withDefaults(partial, TRAIN_CONFIG_SCHEMA) as TrainConfig;
  if (c.charDim + c.wordDim === 0) throw new Error(`${label}: charDim + wordDim must be > 0`);
  if (c.outsideLexDim > 0 && c.outsideLexicon === '' && c.segmenterLexicon === '') {
    throw new Error(`${label}: outsideLexDim ${c.outsideLexDim} needs a word list: outsideLexicon or segmenterLexicon`);
  }
  if (c.outsideLexDim === 0 && c.outsideLexicon !== '') {
    throw new Error(`${label}: outsideLexicon names a word list but outsideLexDim is 0 (no outsideLex channel)`);
  }
  return c;
}

/** Reads a JSON training config file; relative paths (embeddings.*, extraTrain) resolve against the file's folder. */
export function loadConfig(path: string): TrainConfig {
  const label = `config ${path}`;
  const raw = readConfigFile(path);
  assertConfig(raw, TRAIN_CONFIG_SCHEMA, label);
  return resolveConfig(resolveConfigPaths(raw as PartialTrainConfig, TRAIN_CONFIG_SCHEMA, configFolder(path)), label);
}

/** The network architecture a config describes, for the given vocabulary and tag-set sizes. */
export function architectureFor(
  c: TrainConfig,
  sizes: { charVocab: number; wordVocab: number; tags: number; bigramVocab?: number; outsideLexWords?: number },
): Architecture {
  const arch: Architecture = {
    charVocab: sizes.charVocab,
    charDim: c.charDim,
    wordVocab: sizes.wordVocab,
    wordDim: c.wordDim,
    lstm: [...c.lstm],
    tags: sizes.tags,
    crf: c.crf,
  };
  if (c.bigramDim > 0) {
    if (!(sizes.bigramVocab !== undefined && sizes.bigramVocab >= 2))
      throw new Error('architectureFor: bigramDim > 0 needs the bigram vocabulary size');
    arch.bigramVocab = sizes.bigramVocab;
    arch.bigramDim = c.bigramDim;
  }
  if (c.lexDim > 0) {
    // one lexicon slot per entity type of the BIO tag set ['O', B-/I- per type]
    arch.lexTypes = (sizes.tags - 1) / 2;
    arch.lexDim = c.lexDim;
  }
  if (c.charLm.hidden > 0) {
    arch.charLmHidden = c.charLm.hidden;
    arch.charLmDim = c.charLm.dim;
  }
  if (c.outsideLexDim > 0) {
    if (!(sizes.outsideLexWords !== undefined && sizes.outsideLexWords >= 1))
      throw new Error('architectureFor: outsideLexDim > 0 needs the outside word list (outsideLexWords ≥ 1)');
    arch.outsideLexWords = sizes.outsideLexWords;
    arch.outsideLexDim = c.outsideLexDim;
  }
  return arch;
}
