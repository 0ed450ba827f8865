/**
 * The retraining job's config file (`cner retrain --config FILE`, docs/retrain.md): validation with messages that
 * name the field, relative paths resolved against the config file's folder. Node only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CORPUS_FORMATS, isCorpusFormat, type CorpusFormat } from '../corpus/index.js';
import { parseStoreUrl } from '../store/open.js';
import { EMBEDDING_KINDS, type TrainConfig, resolveConfig } from '../train/config.js';
import type { SegdictVariant } from '../train/segdict.js';
import { kind } from './util.js';

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

const CONFIG_FIELDS = [
  'data', 'format', 'store', 'train', 'unlabeled', 'segmenter', 'margin', 'perTypeFloors', 'workDir', 'reportDir',
  'lockTtlMinutes', 'maxMinutes', 'model', 'consistency', 'note', 'name',
] as const;
const SEGMENTERS: readonly SegdictVariant[] = ['none', 'jieba', 'jieba+entities'];

/**
 * Validates a parsed config object. Relative paths (data, unlabeled, workDir, reportDir, train.embeddings,
 * file:// stores) resolve against `baseDir` (default: the working directory).
 */
export function parseRetrainConfig(raw: unknown, options: { baseDir?: string; file?: string } = {}): RetrainConfig {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const bad = (field: string, detail: string): never => {
    throw new RetrainConfigError(field, detail, options.file);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) bad('(top level)', `expected a JSON object, got ${kind(raw)}`);
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(k)) bad(k, `unknown field (known: ${CONFIG_FIELDS.join(', ')})`);
  }
  const str = (field: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') bad(field, `expected a non-empty string, got ${kind(v)}`);
    return v as string;
  };
  const fmt = (field: string, v: unknown): CorpusFormat | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !isCorpusFormat(v)) bad(field, `expected one of ${CORPUS_FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
    return v as CorpusFormat;
  };
  const num = (field: string, v: unknown, min: number, max: number, fallback: number, exclusiveMin = false): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (exclusiveMin ? v <= min : v < min)) {
      bad(field, `expected a number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const abs = (p: string) => path.resolve(baseDir, p);

  // data
  if (!Array.isArray(c.data) || c.data.length === 0) bad('data', `expected a non-empty array of folders, files or s3:// / r2:// prefixes, got ${kind(c.data)}`);
  const data: RetrainSource[] = (c.data as unknown[]).map((d, i) => {
    const field = `data[${i}]`;
    let location: string;
    let format: CorpusFormat | undefined;
    if (typeof d === 'string') location = str(field, d);
    else if (d !== null && typeof d === 'object' && !Array.isArray(d)) {
      const o = d as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'path' && k !== 'format') bad(`${field}.${k}`, 'unknown field (known: path, format)');
      location = str(`${field}.path`, o.path);
      format = fmt(`${field}.format`, o.format);
    } else return bad(field, `expected a path, a URL or { path, format }, got ${kind(d)}`);
    if (/^(s3|r2):\/\//i.test(location)) {
      try {
        parseStoreUrl(location, baseDir);
      } catch (e) {
        bad(field, (e as Error).message);
      }
    } else if (/^file:\/\//i.test(location)) {
      location = parseStoreUrl(location, baseDir).location;
    } else if (/^[a-z0-9]+:\/\//i.test(location)) {
      bad(field, `expected a path, file://, s3:// or r2:// location, got scheme ${JSON.stringify(location.split(':')[0])}`);
    } else {
      location = abs(location);
    }
    return format ? { location, format } : { location };
  });

  const format = fmt('format', c.format);
  let store = str('store', c.store);
  try {
    // a relative file:// store resolves against the config's folder, like every path in it
    if (/^file:\/\//i.test(store)) store = `file://${parseStoreUrl(store, baseDir).location}`;
    else parseStoreUrl(store, baseDir);
  } catch (e) {
    bad('store', (e as Error).message);
  }

  // train
  if (c.train !== undefined && (c.train === null || typeof c.train !== 'object' || Array.isArray(c.train))) {
    bad('train', `expected an object of training settings, got ${kind(c.train)}`);
  }
  let train: TrainConfig;
  try {
    train = resolveConfig((c.train ?? {}) as Parameters<typeof resolveConfig>[0]);
  } catch (e) {
    return bad('train', (e as Error).message.replace(/^config: /, ''));
  }
  for (const k of EMBEDDING_KINDS) {
    const p = train.embeddings[k];
    if (p) train.embeddings[k] = abs(p);
  }
  train.extraTrain = train.extraTrain.map(abs);

  const unlabeled = c.unlabeled === undefined ? undefined : abs(str('unlabeled', c.unlabeled));
  let segmenter: SegdictVariant | undefined;
  if (c.segmenter !== undefined) {
    if (!SEGMENTERS.includes(c.segmenter as SegdictVariant)) bad('segmenter', `expected one of ${SEGMENTERS.join(', ')}, got ${JSON.stringify(c.segmenter)}`);
    segmenter = c.segmenter as SegdictVariant;
  }
  const margin = num('margin', c.margin, 0, 1, 0);
  const perTypeFloors: Record<string, number> = {};
  if (c.perTypeFloors !== undefined) {
    if (c.perTypeFloors === null || typeof c.perTypeFloors !== 'object' || Array.isArray(c.perTypeFloors)) {
      bad('perTypeFloors', `expected an object of TYPE → F1 floor, got ${kind(c.perTypeFloors)}`);
    }
    for (const [t, f] of Object.entries(c.perTypeFloors as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_\-\u4e00-\u9fff]{1,40}$/.test(t)) bad(`perTypeFloors.${t}`, 'expected an entity type name');
      perTypeFloors[t] = num(`perTypeFloors.${t}`, f, 0, 1, 0);
    }
  }
  const workDir = abs(c.workDir === undefined ? 'runs/retrain' : str('workDir', c.workDir));
  const reportDir = c.reportDir === undefined ? path.join(workDir, 'reports') : abs(str('reportDir', c.reportDir));
  const lockTtlMinutes = num('lockTtlMinutes', c.lockTtlMinutes, 0, 7 * 24 * 60, 360, true);
  const maxMinutes = c.maxMinutes === undefined ? undefined : num('maxMinutes', c.maxMinutes, 0, 7 * 24 * 60, 0, true);
  let model: 'int8' | 'f32' = 'int8';
  if (c.model !== undefined) {
    if (c.model !== 'int8' && c.model !== 'f32') bad('model', `expected "int8" or "f32", got ${JSON.stringify(c.model)}`);
    model = c.model as 'int8' | 'f32';
  }
  let consistency = true;
  if (c.consistency !== undefined) {
    if (typeof c.consistency !== 'boolean') bad('consistency', `expected true or false, got ${kind(c.consistency)}`);
    consistency = c.consistency as boolean;
  }
  let note: string | undefined;
  if (c.note !== undefined) {
    note = str('note', c.note);
    if (note.length > 600) bad('note', `expected at most 600 characters, got ${note.length}`);
  }
  let name: string | undefined;
  if (c.name !== undefined) {
    name = str('name', c.name);
    if (name.length > 200) bad('name', `expected at most 200 characters, got ${name.length}`);
  }
  return {
    data, format, store, train, unlabeled, segmenter, margin, perTypeFloors, workDir, reportDir,
    lockTtlMinutes, maxMinutes, model, consistency, note, name, baseDir,
  };
}

/** Reads and validates a config file; relative paths resolve against the file's folder. */
export async function loadRetrainConfig(file: string): Promise<RetrainConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RetrainConfigError('(file)', `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RetrainConfigError('(file)', `not valid JSON (${(e as Error).message})`, file);
  }
  return parseRetrainConfig(raw, { baseDir: path.dirname(path.resolve(file)), file });
}
