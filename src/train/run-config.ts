/**
 * Run-config files (`cner train --config`, scripts/train-default.ts, scripts/experiments.ts): the TrainConfig
 * fields of src/train/config.ts plus the recipe's "pretrain", "description" and "segmenter". Node only (reads the file).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_PRETRAIN, EMBEDDING_KINDS, type PretrainSettings, type TrainConfig, resolveConfig } from './config.js';

export interface RunConfigFile {
  config: TrainConfig;
  pretrain: PretrainSettings;
  /** the file has a "pretrain" section: its recipe starts from word2vec vectors (`cner train` makes them when the file names none) */
  pretrains: boolean;
  /** free text from the file's "description" field */
  description?: string;
  /** segmenter variant of the model ("segmenter" field: none | jieba | jieba+entities); absent = the command's default */
  segmenter?: 'none' | 'jieba' | 'jieba+entities';
}

/** Validates a `pretrain` section (every field optional). */
export function resolvePretrain(raw: unknown): PretrainSettings {
  if (raw === undefined) return { ...DEFAULT_PRETRAIN };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`config: pretrain must be an object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  const p = { ...DEFAULT_PRETRAIN } as Record<string, number>;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(k in DEFAULT_PRETRAIN))
      throw new Error(`config: unknown field 'pretrain.${k}' (known: ${Object.keys(DEFAULT_PRETRAIN).join(', ')})`);
    const min = k === 'seed' ? 0 : 1;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min))
      throw new Error(`config: pretrain.${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    p[k] = v;
  }
  return p as unknown as PretrainSettings;
}

/**
 * Reads a run-config JSON file: the TrainConfig fields (src/train/config.ts; every field optional, defaults =
 * the paper), plus optional "pretrain" (PretrainSettings) and "description". Embedding paths resolve against
 * the file's folder. Every problem throws an Error naming the file and the field.
 */
export function loadRunConfig(path: string): RunConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`config ${path}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(
      `config ${path}: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`,
    );
  const { pretrain, description, segmenter, ...rest } = raw as Record<string, unknown>;
  if (description !== undefined && typeof description !== 'string')
    throw new Error(`config ${path}: description must be a string`);
  if (segmenter !== undefined && segmenter !== 'none' && segmenter !== 'jieba' && segmenter !== 'jieba+entities') {
    throw new Error(
      `config ${path}: segmenter must be "none", "jieba" or "jieba+entities", got ${JSON.stringify(segmenter)}`,
    );
  }
  try {
    const config = resolveConfig(rest as Parameters<typeof resolveConfig>[0]);
    for (const k of EMBEDDING_KINDS) {
      const p = config.embeddings[k];
      if (p) config.embeddings[k] = resolve(dirname(resolve(path)), p);
    }
    config.extraTrain = config.extraTrain.map((p) => resolve(dirname(resolve(path)), p));
    return {
      config,
      pretrain: resolvePretrain(pretrain),
      pretrains: pretrain !== undefined,
      description,
      ...(segmenter !== undefined ? { segmenter: segmenter as RunConfigFile['segmenter'] } : {}),
    };
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
