/**
 * `cner train`: trains a BiLSTM-CRF model on a labelled corpus (any label set) through src/train/run.ts —
 * split by record 80/10/10 (seed 2017), early stopping on dev F1 — then scores the best model on the test
 * documents with evaluateModel (the tagger on whole documents; strict and relaxed; consistency on and off),
 * prints the tables and writes `metrics.json` beside `model.cner` / `model.q8.cner`.
 *
 * Argument parsing and printing only: the run-config reader is src/train/run-config.ts, the tables and
 * metrics.json src/train/report.ts (the training scripts share both).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../../io/output-file.js';
import { SPLIT_MODES, isSplitMode } from '../../../corpus/split.js';
import { EMBEDDING_KINDS, SEGMENTER_VARIANTS as SEGMENTERS, TRAINING_BACKENDS, type TrainConfig, resolveConfig } from '../../../train/config.js';
import { devF1Text, formatDevLine, formatEvaluation, metricsJson } from '../../../train/report.js';
import { type RunConfigFile, loadRunConfig } from '../../../train/run-config.js';
import type { SegdictVariant } from '../../../train/segdict.js';
import { packageRoot } from '../../node.js';
import { EXIT_OK, UsageError, type Command, err, formatOption, integerOption, out, parseCommandArgs, requireOption, stringOption } from '../command.js';

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
  --backend KIND         where the network trains: wasm (the CPU kernels), webgpu (the GPU through WebGPU; needs the
                         package webgpu and a Vulkan driver) or auto (webgpu when the adapter is a real GPU, else wasm).
                         Default: the config's "backend", else auto. The choice is printed and kept in the model card
  --workers N            data-parallel worker threads of the wasm backend (1 = bit-reproducible)
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
        backend: { type: 'string' },
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
      const backend = stringOption(values, 'backend');
      if (backend !== undefined && !(TRAINING_BACKENDS as readonly string[]).includes(backend)) {
        throw new UsageError(`option --backend: expected ${TRAINING_BACKENDS.join(', ')}, got '${backend}'`);
      }
      if (backend !== undefined) over.backend = backend;
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
    const { fitDocs, readSplit, readUnlabeled, runTraining } = await import('../../../train/run.js');
    if (makeThem) {
      const { buildRunSegmenter, makeVectors } = await import('../../../train/vectors.js');
      const { readLexiconWords } = await import('../../../train/segdict.js');
      const { split } = await readSplit(data, format, config.split);
      // the documents the network is fitted on (config.trainOn); the words of the run's segmenter
      const fit = fitDocs(split, config.trainOn);
      const extra = unlabeled ? readUnlabeled(unlabeled) : [];
      log(`pre-trained vectors (the config's "pretrain" section; --no-pretrain skips them): ${join(outDir, 'vectors')}`);
      const made = await makeVectors({
        texts: [...fit.map((d) => d.text), ...extra],
        segmenter: buildRunSegmenter(fit, extra, runSegmenter, readLexiconWords(config.segmenterLexicon)),
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
    writeFileAtomicSync(join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 1));
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
