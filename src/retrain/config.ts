/**
 * The retraining job's config file (`cner retrain --config FILE`, docs/retrain.md): one schema
 * (RETRAIN_CONFIG_SCHEMA, its `train` section the training config's), errors that name the field, the value found
 * and the file; every path resolved against the config file's folder. Node only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CORPUS_FORMATS, type CorpusFormat } from '../corpus/index.js';
import { configFolder, resolveConfigPaths } from '../io/config-file.js';
import { type JsonSchema, check, describeIssues, withDefaults } from '../schema/index.js';
import { parseStoreUrl } from '../store/open.js';
import {
  type PartialTrainConfig,
  SEGMENTER_VARIANTS,
  TRAIN_CONFIG_SCHEMA,
  type TrainConfig,
  resolveConfig,
} from '../train/config.js';
import type { SegdictVariant } from '../train/segdict.js';

/** One annotated-data source: a folder or file (absolute path), or an `s3://` / `r2://` bucket prefix. */
export interface RetrainSource {
  location: string;
  /** corpus format of this source (default: the config's `format`, else detected) */
  format?: CorpusFormat;
}

/** A validated retraining config; paths are absolute. */
export interface RetrainConfig {
  data: RetrainSource[];
  format?: CorpusFormat;
  /** where models are published: file://DIR, s3://BUCKET[/PREFIX], r2://BUCKET[/PREFIX] */
  store: string;
  /** the resolved training config (src/train/config.ts defaults overlaid with the `train` field) */
  train: TrainConfig;
  /** unlabeled text (one text a line) for the segmenter dictionary */
  unlabeled?: string;
  segmenter?: SegdictVariant;
  /** how far the candidate's strict micro-F1 may fall below the current model's and still publish */
  margin: number;
  /** minimum strict F1 per entity type, e.g. { BODY: 0.9 } */
  perTypeFloors: Record<string, number>;
  /** each run trains into a fresh folder under it */
  workDir: string;
  reportDir: string;
  /** the lock's time to live; it is renewed every TTL/4 while the run lives, so this bounds how long a killed run blocks the next */
  lockTtlMinutes: number;
  /** wall-clock budget of the training (minutes); training then stops with the best model so far. Default: none */
  maxMinutes?: number;
  /** which file runTraining writes is evaluated and published: int8 (model.q8.cner, default) or f32 */
  model: 'int8' | 'f32';
  /** score with the tagger's consistency check on (default true, as the tagger runs by default) */
  consistency: boolean;
  /** operator note kept in the manifest entry beside the fingerprint (never patient text) */
  note?: string;
  /** manifest entry name (default: the model header's name) */
  name?: string;
  /** the folder relative paths were resolved against (the config file's folder) */
  baseDir: string;
}

/** A config field is missing or invalid; `field` names it (e.g. `data[1]`, `train`, `perTypeFloors.BODY`). */
export class RetrainConfigError extends Error {
  readonly field: string;
  constructor(field: string, detail: string, file?: string) {
    super(`retrain config${file ? ` ${file}` : ''}: ${field}: ${detail}`);
    this.name = 'RetrainConfigError';
    this.field = field;
  }
}

const MAX_MINUTES = 7 * 24 * 60;

/** The retraining config file (docs/retrain.md); `train` is the training config's schema. */
export const RETRAIN_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data', 'store'],
  properties: {
    data: {
      type: 'array',
      minItems: 1,
      description:
        'the annotated data: folders, files, file:// URLs or s3:// / r2:// prefixes, each a string or ' +
        '{ "path": …, "format": … }; a later source wins on a duplicate document id',
      items: {
        type: ['string', 'object'],
        minLength: 1,
        'x-path': 'location',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { type: 'string', minLength: 1, 'x-path': 'location', description: 'the source' },
          format: { enum: CORPUS_FORMATS, description: "this source's corpus format (default: format, else detected)" },
        },
      },
    },
    format: { enum: CORPUS_FORMATS, description: 'corpus format of every source (default: detected per source)' },
    store: {
      type: 'string',
      minLength: 1,
      'x-path': 'location',
      description: 'where models are published: file://DIR, s3://BUCKET[/PREFIX] or r2://BUCKET[/PREFIX]',
    },
    train: { ...TRAIN_CONFIG_SCHEMA, description: "the training settings (the training config's fields)" },
    unlabeled: {
      type: 'string',
      minLength: 1,
      'x-path': 'path',
      description: 'unlabeled text (one text a line) for the segmenter dictionary',
    },
    segmenter: { enum: SEGMENTER_VARIANTS, description: 'segmenter variant of the model' },
    margin: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0,
      description: "how far the candidate's strict micro-F1 may fall below the current model's and still publish",
    },
    perTypeFloors: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9_\\-\\u4e00-\\u9fff]{1,40}$' },
      additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
      default: {},
      description: 'minimum strict F1 per entity type, e.g. { "BODY": 0.9 }',
    },
    workDir: {
      type: 'string',
      minLength: 1,
      'x-path': 'path',
      default: 'runs/retrain',
      description: 'each run trains into a fresh folder under it',
    },
    reportDir: {
      type: 'string',
      minLength: 1,
      'x-path': 'path',
      description: 'where the run reports go (default: workDir/reports)',
    },
    lockTtlMinutes: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_MINUTES,
      default: 360,
      description:
        "the lock's time to live; it is renewed every TTL/4 while the run lives, so this bounds how long a killed run " +
        'blocks the next',
    },
    maxMinutes: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_MINUTES,
      description: 'wall-clock budget of the training; training then stops with the best model so far (default: none)',
    },
    model: {
      enum: ['int8', 'f32'],
      default: 'int8',
      description: 'which model file is evaluated and published: int8 (model.q8.cner) or f32 (model.cner)',
    },
    consistency: {
      type: 'boolean',
      default: true,
      description: "score with the tagger's consistency check on (as the tagger runs by default)",
    },
    note: {
      type: 'string',
      minLength: 1,
      maxLength: 600,
      description: 'operator note kept in the manifest entry beside the fingerprint (never patient text)',
    },
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: "manifest entry name (default: the model header's name)",
    },
  },
};

/**
 * Validates a parsed config object. Relative paths (every x-path field of RETRAIN_CONFIG_SCHEMA: data, unlabeled,
 * workDir, reportDir, train.embeddings, train.extraTrain, file:// stores and sources) resolve against `baseDir`
 * (default: the working directory).
 */
export function parseRetrainConfig(raw: unknown, options: { baseDir?: string; file?: string } = {}): RetrainConfig {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const bad = (field: string, detail: string): never => {
    throw new RetrainConfigError(field, detail, options.file);
  };
  const checked = check(raw, RETRAIN_CONFIG_SCHEMA, { style: 'config' });
  if (checked.total > 0) {
    const [first, ...rest] = checked.issues;
    const more = rest.length > 0 ? `; ${describeIssues({ issues: rest, total: checked.total - 1 })}` : '';
    bad(first.path, `${first.message}${more}`);
  }
  const c = raw as Record<string, unknown>;
  // the URLs as the store opens them (file://, s3://, r2://); a source may also be a plain path
  const opens = (field: string, where: string) => {
    try {
      parseStoreUrl(where, baseDir);
    } catch (e) {
      bad(field, (e as Error).message);
    }
  };
  (c.data as (string | { path: string })[]).forEach((d, i) => {
    const [field, where] = typeof d === 'string' ? [`data[${i}]`, d] : [`data[${i}].path`, d.path];
    const scheme = /^([a-z0-9]+):\/\//i.exec(where)?.[1].toLowerCase();
    if (scheme === undefined) return;
    if (scheme !== 'file' && scheme !== 's3' && scheme !== 'r2') {
      bad(field, `expected a path, file://, s3:// or r2:// location, got scheme ${JSON.stringify(scheme)}`);
    }
    opens(field, where);
  });
  opens('store', c.store as string);

  const file = resolveConfigPaths(withDefaults(c, RETRAIN_CONFIG_SCHEMA), RETRAIN_CONFIG_SCHEMA, baseDir);
  let train: TrainConfig;
  try {
    train = resolveConfig(file.train as PartialTrainConfig, 'train');
  } catch (e) {
    return bad('train', (e as Error).message.replace(/^train: /, ''));
  }
  const data = (file.data as (string | { path: string; format?: CorpusFormat })[]).map((d): RetrainSource => {
    const { path: where, format } = typeof d === 'string' ? { path: d } : d;
    // a file:// source is read as the folder or file it names
    const local = /^file:\/\//i.test(where) ? parseStoreUrl(where, baseDir).location : where;
    return format ? { location: local, format } : { location: local };
  });
  const workDir = file.workDir as string;
  return {
    ...(file as Omit<RetrainConfig, 'data' | 'train' | 'reportDir' | 'baseDir'>),
    data,
    train,
    reportDir: (file.reportDir as string | undefined) ?? path.join(workDir, 'reports'),
    baseDir,
  };
}

/** Reads and validates a config file; relative paths resolve against the file's folder. */
export async function loadRetrainConfig(file: string): Promise<RetrainConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RetrainConfigError(
      '(file)',
      `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      file,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RetrainConfigError('(file)', `not valid JSON (${(e as Error).message})`, file);
  }
  return parseRetrainConfig(raw, { baseDir: configFolder(file), file });
}
