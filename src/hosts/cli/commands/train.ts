/**
 * `cner train`: trains a BiLSTM-CRF model on a labelled corpus (any label set) through src/train/run.ts —
 * split by record 80/10/10 (seed 2017), early stopping on dev F1 — then scores the best model on the test
 * documents with evaluateModel (the tagger on whole documents; strict and relaxed; consistency on and off),
 * prints the tables and writes `metrics.json` beside `model.cner` / `model.q8.cner`.
 *
 * Also home of the pieces the training scripts share: the run-config file reader (a TrainConfig plus an
 * optional `pretrain` section for scripts/train-default.ts) and the evaluation tables.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { alignTable, type EntityEvalReport, formatNoveltyTable, noveltyHeading, type Prf } from '../../../eval/index.js';
import { SPLIT_MODES, isSplitMode } from '../../../corpus/split.js';
import { sha256Hex } from '../../../model/sha256.js';
import { DEFAULT_PRETRAIN, EMBEDDING_KINDS, type PretrainSettings, type TrainConfig, resolveConfig } from '../../../train/config.js';
import type { ModelEvaluation } from '../../../train/evaluate.js';
import { formatScore } from '../../../train/metrics.js';
import type { RunSummary } from '../../../train/run.js';
import type { SegdictVariant } from '../../../train/segdict.js';
import { packageRoot } from '../../node.js';
import { EXIT_OK, UsageError, type Command, err, formatOption, integerOption, out, parseCommandArgs, requireOption, stringOption } from '../command.js';

// ---------------------------------------------------------------------------------------------------------
// run-config files

export { DEFAULT_PRETRAIN, type PretrainSettings } from '../../../train/config.js';

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
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`config: pretrain must be an object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  const p = { ...DEFAULT_PRETRAIN } as Record<string, number>;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(k in DEFAULT_PRETRAIN)) throw new Error(`config: unknown field 'pretrain.${k}' (known: ${Object.keys(DEFAULT_PRETRAIN).join(', ')})`);
    const min = k === 'seed' ? 0 : 1;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw new Error(`config: pretrain.${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
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
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`config ${path}: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`);
  const { pretrain, description, segmenter, ...rest } = raw as Record<string, unknown>;
  if (description !== undefined && typeof description !== 'string') throw new Error(`config ${path}: description must be a string`);
  if (segmenter !== undefined && segmenter !== 'none' && segmenter !== 'jieba' && segmenter !== 'jieba+entities') {
    throw new Error(`config ${path}: segmenter must be "none", "jieba" or "jieba+entities", got ${JSON.stringify(segmenter)}`);
  }
  try {
    const config = resolveConfig(rest as Parameters<typeof resolveConfig>[0]);
    for (const k of EMBEDDING_KINDS) {
      const p = config.embeddings[k];
      if (p) config.embeddings[k] = resolve(dirname(resolve(path)), p);
    }
    return { config, pretrain: resolvePretrain(pretrain), pretrains: pretrain !== undefined, description, ...(segmenter !== undefined ? { segmenter: segmenter as RunConfigFile['segmenter'] } : {}) };
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// tables

const pct = (x: number): string => (100 * x).toFixed(2);

/** Per-type rows then micro and macro: gold count, strict P/R/F1, relaxed P/R/F1. */
export function formatScoreTable(report: EntityEvalReport): string {
  const rows: string[][] = [['type', 'gold', 'pred', 'strict P', 'R', 'F1', 'relaxed P', 'R', 'F1']];
  const row = (label: string, s: Prf, r: Prf) => [label, String(s.gold), String(s.pred), pct(s.precision), pct(s.recall), pct(s.f1), pct(r.precision), pct(r.recall), pct(r.f1)];
  for (const t of report.types) rows.push(row(t, report.strict.perType[t], report.relaxed.perType[t]));
  rows.push(row('micro', report.strict.micro, report.relaxed.micro));
  const ms = report.strict.macro;
  const mr = report.relaxed.macro;
  rows.push(['macro', '', '', pct(ms.precision), pct(ms.recall), pct(ms.f1), pct(mr.precision), pct(mr.recall), pct(mr.f1)]);
  return alignTable(rows);
}

/** F1 per type, micro and macro: strict and relaxed, consistency on and off, for each model given. */
export function formatF1Comparison(models: Record<string, ModelEvaluation>): string {
  const names = Object.keys(models);
  const head = ['type'];
  for (const n of names) head.push(`${n} strict`, 'no-cons', `${n} relaxed`, 'no-cons');
  const rows: string[][] = [head];
  const types = [...new Set(names.flatMap((n) => models[n].withConsistency.types))].sort();
  const cell = (r: EntityEvalReport, kind: 'strict' | 'relaxed', t: string) => {
    if (t === 'micro') return pct(r[kind].micro.f1);
    if (t === 'macro') return pct(r[kind].macro.f1);
    const p = r[kind].perType[t];
    return p ? pct(p.f1) : '-';
  };
  for (const t of [...types, 'micro', 'macro']) {
    const cells = [t];
    for (const n of names) {
      const m = models[n];
      cells.push(cell(m.withConsistency, 'strict', t), cell(m.withoutConsistency, 'strict', t), cell(m.withConsistency, 'relaxed', t), cell(m.withoutConsistency, 'relaxed', t));
    }
    rows.push(cells);
  }
  return alignTable(rows);
}

/** The text printed after training: the f32 model's full table (consistency on, then off) and the F1 comparison with int8. */
export function formatEvaluation(evaluation: { f32: ModelEvaluation; int8: ModelEvaluation }): string {
  const e = evaluation.f32;
  return [
    `Test split, document level through the tagger (${e.withConsistency.docs} documents; strict: exact span and type; relaxed: overlapping span, same type)`,
    '',
    'f32 model, consistency check on:',
    formatScoreTable(e.withConsistency),
    '',
    'f32 model, consistency check off:',
    formatScoreTable(e.withoutConsistency),
    '',
    'F1 by model (no-cons = consistency check off):',
    formatF1Comparison({ f32: evaluation.f32, int8: evaluation.int8 }),
    '',
    ...(['f32', 'int8'] as const).flatMap((k) => {
      const r = evaluation[k].withConsistency;
      return r.novelty ? [`${k} model, consistency check on. ${noveltyHeading(r.novelty)}:`, formatNoveltyTable(r.novelty, r.types), ''] : [];
    }),
    `tagging speed: f32 ${Math.round(evaluation.f32.charsPerSecond)} chars/s, int8 ${Math.round(evaluation.int8.charsPerSecond)} chars/s (one thread)`,
  ].join('\n');
}

/** One line of dev-part figures (document level, consistency on): strict, relaxed, and seen / unseen strict F1. */
export function formatDevLine(e: ModelEvaluation, model = 'int8'): string {
  const r = e.withConsistency;
  const n = r.novelty;
  return `Dev split, document level (${model}, ${r.docs} documents): strict F1 ${pct(r.strict.micro.f1)}, relaxed F1 ${pct(r.relaxed.micro.f1)}` +
    (n ? `, seen F1 ${pct(n.seen.micro.f1)} (${n.seen.micro.gold} entities), unseen F1 ${pct(n.unseen.micro.f1)} (${n.unseen.micro.gold} entities)` : '');
}

/** The best epoch's dev F1 for reports: 'n/a (no dev sentences)' when the dev split is empty (a final fit, or too few records). */
export function devF1Text(summary: Pick<RunSummary, 'best' | 'data'>, percent = false): string {
  const sentences = (summary.data.dev as { sentences?: number }).sentences ?? 0;
  return sentences > 0 ? formatScore(summary.best.devF1, percent ? 2 : 4, percent) : 'n/a (no dev sentences)';
}

// ---------------------------------------------------------------------------------------------------------
// metrics.json

export interface ModelFileInfo {
  path: string;
  bytes: number;
  sha256: string;
}

export function modelFileInfo(path: string): ModelFileInfo {
  const bytes = readFileSync(path);
  return { path, bytes: bytes.length, sha256: sha256Hex(new Uint8Array(bytes)) };
}

/** What `cner train` (and the scripts) write to metrics.json: the run summary plus the model files' ids. */
export function metricsJson(summary: RunSummary, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ev = summary.evaluation;
  const part = (e: ModelEvaluation) => ({ consistency: e.withConsistency, noConsistency: e.withoutConsistency, charsPerSecond: e.charsPerSecond });
  return {
    ...extra,
    level: 'document (tagger on whole test documents, src/train/evaluate.ts)',
    split: summary.split,
    best: summary.best,
    stoppedBy: summary.stoppedBy,
    epochsRun: summary.history.length,
    seconds: summary.seconds,
    params: summary.params,
    vocab: summary.vocab,
    data: summary.data,
    pretrained: summary.pretrained,
    sentenceLevelTest: summary.test,
    models: { f32: modelFileInfo(summary.models.f32), int8: modelFileInfo(summary.models.int8) },
    test: ev ? { f32: part(ev.f32), int8: part(ev.int8) } : null,
    dev: summary.devEvaluation ? { f32: part(summary.devEvaluation.f32), int8: part(summary.devEvaluation.int8) } : null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// the command

const SEGMENTERS: readonly SegdictVariant[] = ['none', 'jieba', 'jieba+entities'];

/** The config `cner train` uses without --config: the shipped recipe, resolved inside the installed package (not the working folder). */
export function defaultConfigPath(): string {
  return join(packageRoot(), 'configs', 'default.json');
}

/**
 * The config file --config names (default: defaultConfigPath()). A relative path that is not there from the working
 * folder is looked for in the package too, so `--config configs/paper.json` works from an installed package.
 */
export function configPathOf(option: string | undefined): string {
  if (option === undefined) {
    const path = defaultConfigPath();
    if (!existsSync(path)) throw new UsageError(`the default config ${path} is missing from the cner package: pass --config FILE`);
    return path;
  }
  if (existsSync(option)) return option;
  const inPackage = isAbsolute(option) ? undefined : join(packageRoot(), option);
  if (inPackage && existsSync(inPackage)) return inPackage;
  throw new UsageError(`option --config: ${option} does not exist${inPackage ? ` (nor ${inPackage} in the cner package)` : ''}`);
}

const usage = `Usage: cner train --data PATH --out DIR [--config FILE] [options]

Trains the BiLSTM-CRF tagger on a labelled corpus (any entity label set): the documents are split by record
into train/dev/test = 80/10/10 with seed 2017 (CCKS 2017 ids: all sections of a record on one side), training
stops early on dev F1, and the best model is written as DIR/model.cner (f32) and DIR/model.q8.cner (int8 per
row). Both are then scored on the test documents through the tagger (strict and relaxed, per type, consistency
check on and off); the tables go to stdout and DIR/metrics.json. Progress goes to stderr.

Options:
  --data PATH            labelled corpus (file or folder)               (required)
  --out DIR              output folder                                  (required)
  --config FILE          JSON run config (TrainConfig fields). Default: the shipped recipe, configs/default.json
                         of the cner package (segmenter jieba, word2vec vectors, weight average); the paper's setup is
                         --config configs/paper.json (a relative path not found here is looked up in the package).
                         A config with a "pretrain" section and no "embeddings" files gets its word2vec vectors
                         made in DIR/vectors before training
  --format FMT           corpus format: ccks, yidu, jsonl, bio, brat (default: detected)
  --unlabeled FILE       unlabeled text (one record a line) the segmenter dictionary is also pruned to (and
                         the vectors a "pretrain" section makes are also trained on)
  --segmenter VARIANT    none, jieba or jieba+entities (default: the config's "segmenter", else jieba+entities)
  --char-emb FILE        pre-trained character vectors (word2vec text format)
  --word-emb FILE        pre-trained word vectors (same segmenter as --segmenter!)
  --bigram-emb FILE      pre-trained character-bigram vectors (with "bigramDim" > 0 in the config)
  --no-pretrain          no pre-trained vectors: neither the config's files nor its "pretrain" section (random init)
  --workers N            data-parallel worker threads (1 = bit-reproducible)
  --epochs N             maximum epochs
  --max-minutes N        stop training after N minutes (a checkpoint is kept; continue with --resume)
  --seed N               training seed (initialisation, batches, dropout); the split seed stays 2017
  --split MODE           random (default: seeded shuffle of the records, seed 2017) or blocked (records in id
                         order: test = the last 10 %, dev = the 10 % before, train = the rest: new records)
  --resume               continue from DIR/checkpoint.bin
  --force                train from scratch into a DIR that already holds a model or checkpoint
  --quiet                no progress bar
  -h, --help             show this help

Data released for evaluation campaigns (CCKS 2017, Yidu-S4K) is for research use only; so are models trained on it.`;

const dimOf = (c: TrainConfig, kind: (typeof EMBEDDING_KINDS)[number]) => (kind === 'char' ? c.charDim : kind === 'word' ? c.wordDim : c.bigramDim);

/** What `cner train` says when a config names a vector file that is not there: which file, and how to make it. */
export function missingVectorsMessage(configPath: string, kind: (typeof EMBEDDING_KINDS)[number], path: string, config: TrainConfig): string {
  const make = kind === 'bigram'
    ? 'make it with `npm run train:default` (its vectors/bigram.vec)'
    : `make it with \`cner embed --data CORPUS${kind === 'word' ? ' --unit word' : ''} --dim ${dimOf(config, kind)} --out ${path}\``;
  return `config ${configPath}: embeddings.${kind} names ${path}, which does not exist. ${make[0].toUpperCase()}${make.slice(1)}; ` +
    'or drop embeddings.' + kind + ' and give the config a "pretrain" section (as configs/default.json has) so that cner train makes the vectors in DIR/vectors; ' +
    'or pass --no-pretrain to train from random vectors.';
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a BiLSTM-CRF model on a labelled corpus and score it on the test split',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        data: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        format: { type: 'string' },
        unlabeled: { type: 'string' },
        segmenter: { type: 'string' },
        'char-emb': { type: 'string' },
        'word-emb': { type: 'string' },
        'bigram-emb': { type: 'string' },
        'no-pretrain': { type: 'boolean' },
        workers: { type: 'string' },
        epochs: { type: 'string' },
        'max-minutes': { type: 'string' },
        seed: { type: 'string' },
        split: { type: 'string' },
        resume: { type: 'boolean' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    const data = requireOption(values, 'data');
    const outDir = requireOption(values, 'out');
    const format = formatOption(values, 'format');
    const segmenter = stringOption(values, 'segmenter') as SegdictVariant | undefined;
    if (segmenter !== undefined && !SEGMENTERS.includes(segmenter)) throw new UsageError(`option --segmenter: expected one of ${SEGMENTERS.join(', ')}, got '${segmenter}'`);
    if (!existsSync(data)) throw new UsageError(`option --data: ${data} does not exist`);
    const unlabeled = stringOption(values, 'unlabeled');
    if (unlabeled !== undefined && !existsSync(unlabeled)) throw new UsageError(`option --unlabeled: ${unlabeled} does not exist`);

    // config: the file (default: the shipped recipe) overlaid with the flags; any invalid field is a usage error
    const cfgPath = configPathOf(stringOption(values, 'config'));
    let file: RunConfigFile;
    let config: TrainConfig;
    try {
      file = loadRunConfig(cfgPath);
      config = file.config;
      const over: Record<string, unknown> = {};
      const positive = (name: string, min: number) => {
        if (stringOption(values, name) === undefined) return undefined;
        const n = integerOption(values, name, 0);
        if (n < min) throw new UsageError(`option --${name}: expected an integer ≥ ${min}, got ${n}`);
        return n;
      };
      const workers = positive('workers', 1);
      const epochs = positive('epochs', 1);
      const seed = positive('seed', 0);
      if (workers !== undefined) over.workers = workers;
      if (epochs !== undefined) over.epochs = epochs;
      if (seed !== undefined) over.seed = seed;
      const splitMode = stringOption(values, 'split');
      if (splitMode !== undefined && !isSplitMode(splitMode)) throw new UsageError(`option --split: expected ${SPLIT_MODES.join(' or ')}, got '${splitMode}'`);
      if (splitMode !== undefined) over.split = splitMode;
      const embeddings = values['no-pretrain'] === true ? {} : { ...config.embeddings };
      for (const [flag, key] of [['char-emb', 'char'], ['word-emb', 'word'], ['bigram-emb', 'bigram']] as const) {
        const f = stringOption(values, flag);
        if (f === undefined) continue;
        if (!existsSync(f)) throw new UsageError(`option --${flag}: ${f} does not exist`);
        (embeddings as Record<string, string>)[key] = resolve(f);
      }
      over.embeddings = embeddings;
      config = resolveConfig({ ...config, ...over } as Parameters<typeof resolveConfig>[0]);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    for (const k of EMBEDDING_KINDS) {
      const p = config.embeddings[k];
      if (p && !existsSync(p)) throw new UsageError(missingVectorsMessage(cfgPath, k, p, config));
    }
    const runSegmenter: SegdictVariant = segmenter ?? file.segmenter ?? 'jieba+entities';
    // the recipe's vectors: a "pretrain" section makes those the config names no file for (kept on --resume)
    const makeThem = file.pretrains && values['no-pretrain'] !== true && EMBEDDING_KINDS.some((k) => dimOf(config, k) > 0 && !config.embeddings[k]);
    let maxMinutes: number | undefined;
    const mm = stringOption(values, 'max-minutes');
    if (mm !== undefined) {
      maxMinutes = Number(mm);
      if (!(Number.isFinite(maxMinutes) && maxMinutes > 0)) throw new UsageError(`option --max-minutes: expected a positive number, got '${mm}'`);
    }
    const resume = values.resume === true;
    if (!resume && values.force !== true && existsSync(outDir) && statSync(outDir).isDirectory()) {
      for (const f of ['model.cner', 'checkpoint.bin']) {
        if (existsSync(join(outDir, f))) throw new UsageError(`${join(outDir, f)} already exists: pass --resume to continue that run or --force to start over`);
      }
    }

    const log = values.quiet === true ? () => {} : (s: string) => err(s);
    // loaded here, not at CLI start: the trainer pulls in jieba's dictionary and the training kernels
    const { readSplit, readUnlabeled, runTraining } = await import('../../../train/run.js');
    if (makeThem) {
      const { buildRunSegmenter, makeVectors } = await import('../../../train/vectors.js');
      const { split } = await readSplit(data, format, config.split);
      // the documents the network is fitted on (a final fit adds dev), never the test split; the words of the run's segmenter
      const fitDocs = config.trainOn === 'train+dev' ? [...split.train, ...split.dev] : split.train;
      const extra = unlabeled ? readUnlabeled(unlabeled) : [];
      log(`pre-trained vectors (the config's "pretrain" section; --no-pretrain skips them): ${join(outDir, 'vectors')}`);
      const made = await makeVectors({
        texts: [...fitDocs.map((d) => d.text), ...extra],
        segmenter: buildRunSegmenter(fitDocs, extra, runSegmenter),
        config,
        pretrain: file.pretrain,
        dir: join(outDir, 'vectors'),
        log,
        step: 'pre-training',
        keep: (p, step) => {
          if (resume) log(`${step}: ${p} exists, kept (--resume)`);
          return resume;
        },
      });
      config = resolveConfig({ ...config, embeddings: made });
    }
    const summary = await runTraining({
      data,
      format,
      out: outDir,
      config,
      maxMinutes,
      resume,
      unlabeled,
      segmenter: runSegmenter,
      evaluate: true,
      progress: values.quiet === true ? false : undefined,
      log,
    });
    const metrics = metricsJson(summary, { command: 'cner train', data, format: format ?? 'detected', configFile: resolve(cfgPath), config, segmenter: runSegmenter, unlabeled: unlabeled ?? null });
    writeFileSync(join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 1));
    if (summary.evaluation) out(formatEvaluation(summary.evaluation));
    else out('The test split is empty (too few records): no test figures.');
    if (summary.devEvaluation) out(`\n${formatDevLine(summary.devEvaluation.int8)}`);
    const kib = (p: string) => `${(statSync(p).size / 1024).toFixed(0)} KiB`;
    out(
      `\nbest epoch ${summary.best.epoch} (dev F1 ${devF1Text(summary)}, stopped by ${summary.stoppedBy}) in ${summary.seconds.toFixed(0)} s\n` +
        `wrote ${summary.models.f32} (${kib(summary.models.f32)}), ${summary.models.int8} (${kib(summary.models.int8)}), ${join(outDir, 'metrics.json')}`,
    );
    return EXIT_OK;
  },
};

export default trainCommand;
