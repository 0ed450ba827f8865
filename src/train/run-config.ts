/**
 * Run-config files (`cner train --config`, scripts/train-default.ts, scripts/experiments.ts): the training config's
 * fields (src/train/config.ts) plus the recipe's "description", "segmenter" and "pretrain". One schema
 * (RUN_CONFIG_SCHEMA) validates a file; every path in it resolves against the file's folder. Node only (reads the file).
 */
import { configFolder, readConfigFile, resolveConfigPaths } from '../io/config-file.js';
import { type JsonSchema, assertConfig, withDefaults } from '../schema/index.js';
import {
  PRETRAIN_SCHEMA,
  type PartialTrainConfig,
  SEGMENTER_VARIANTS,
  type PretrainSettings,
  TRAIN_CONFIG_SCHEMA,
  type TrainConfig,
  resolveConfig,
} from './config.js';
import type { SegdictVariant } from './segdict.js';

export interface RunConfigFile {
  config: TrainConfig;
  pretrain: PretrainSettings;
  /** the file has a "pretrain" section: its recipe starts from word2vec vectors (`cner train` makes them when the file names none) */
  pretrains: boolean;
  /** free text from the file's "description" field */
  description?: string;
  /** segmenter variant of the model ("segmenter" field); absent = the command's default */
  segmenter?: SegdictVariant;
}

/** A run-config file: the training config's fields plus description, segmenter and pretrain. */
export const RUN_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string', description: 'free text: what the recipe is and why' },
    segmenter: {
      enum: SEGMENTER_VARIANTS,
      description:
        "the model's segmenter: none, jieba or jieba+entities (jieba's dictionary plus every training entity string); " +
        "absent = the command's default (cner train: jieba+entities)",
    },
    ...TRAIN_CONFIG_SCHEMA.properties,
    pretrain: PRETRAIN_SCHEMA,
  },
};

/**
 * Reads a run-config JSON file. Every problem throws an Error that names the file and the field
 * (`config FILE: epochs: must be ≥ 1, got 0`).
 */
export function loadRunConfig(path: string): RunConfigFile {
  const label = `config ${path}`;
  const raw = readConfigFile(path);
  assertConfig(raw, RUN_CONFIG_SCHEMA, label);
  const file = withDefaults(
    resolveConfigPaths(raw, RUN_CONFIG_SCHEMA, configFolder(path)),
    RUN_CONFIG_SCHEMA,
  ) as Record<string, unknown>;
  const { pretrain, description, segmenter, ...train } = file;
  return {
    config: resolveConfig(train as PartialTrainConfig, label),
    pretrain: pretrain as PretrainSettings,
    pretrains: (raw as Record<string, unknown>).pretrain !== undefined,
    description: description as string | undefined,
    ...(segmenter !== undefined ? { segmenter: segmenter as SegdictVariant } : {}),
  };
}
