/**
 * `npm run train:default`: the default model in one command, with its model card.
 *
 *   tsx scripts/train-default.ts [--data ../shared/data/ccks2017/train] [--unlabeled ../shared/data/unlabeled/clinical-unlabeled.txt]
 *       [--out runs/default] [--config configs/default.json] [--format ccks] [--resume] [--force] [--install]
 *       [--epochs N] [--max-minutes N] [--workers N] [--seed N] [--pretrain-iterations N]
 *
 * Steps (each writes into --out; with --resume a step whose output exists is skipped):
 *   1. segmenter.json   the segmenter spec the model will use: jieba + every training entity string, pruned to
 *                       the train split (+ dev for a final fit) + unlabeled texts (the same spec runTraining builds from the same inputs)
 *   2. vectors/*.vec    word2vec char and word vectors (dim = the config's charDim / wordDim, window 4, iterations
 *                       from the config's "pretrain" section) on the TRAIN split texts + the unlabeled corpus; the
 *                       words come from the step-1 segmenter, so the vocabularies match
 *   3. train/           runTraining with the config + those vectors (split by record 80/10/10, seed 2017)
 *   4. metrics.json     the f32 and int8 models scored on the test documents through the tagger (evaluateModel);
 *                       a refit on every record (config trainOn "all") has no test part: --selection FILE
 *                       (scripts/selection.ts --json) --selection-recipe NAME give the selection runs' figures instead
 *   5. --install        copies train/model.q8.cner to models/default.cner
 *   6. MODEL_CARD.md    the model card (and models/default.md with --install)
 *
 * The helpers (segmenter spec, pre-training, model card) are exported for scripts/experiments.ts and the tests.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CorpusFormat } from '../src/corpus/index.js';
import { isCorpusFormat } from '../src/corpus/index.js';
import { readModel } from '../src/model/format.js';
import type { SegmenterSpec } from '../src/segment/index.js';
import { type PretrainSettings, type TrainConfig, type TrainOn, resolveConfig } from '../src/train/config.js';
import { evaluateModel } from '../src/train/evaluate.js';
import type { NoveltyScores, Prf } from '../src/eval/index.js';
import { type DocumentMetrics, type RunSummary, documentMetrics, fitDocs, readSplit, readUnlabeled, runTraining } from '../src/train/run.js';
import { type SegdictVariant, readLexiconWords } from '../src/train/segdict.js';
import { buildRunSegmenter, makeVectors } from '../src/train/vectors.js';
import { type ModelFileInfo, devF1Text, formatEvaluation, metricsJson, modelFileInfo } from '../src/train/report.js';
import { loadRunConfig } from '../src/train/run-config.js';
import { type Selection, selectionTable } from './selection.js';
import { runIfMain } from './run-main.js';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

// ---------------------------------------------------------------------------------------------------------
// corpus description and terms

export interface CorpusInfo {
  name: string;
  description: string;
  /** the terms line the model card must carry */
  terms: string;
  provenance?: string;
}

export const CCKS2017: CorpusInfo = {
  name: 'CCKS 2017 Task 2 (Chinese EMR clinical named-entity recognition), training release',
  description:
    'De-identified Chinese electronic medical records: 300 records in four sections each (一般项目, 病史特点, 诊疗经过, 出院情况), ' +
    '1,198 section texts, 266,621 characters and 29,866 flat entities of five types (身体部位 BODY, 症状和体征 SIGNS, 检查和检验 CHECK, ' +
    '疾病和诊断 DISEASE, 治疗 TREATMENT).',
  terms:
    'Terms: the CCKS 2017 data are de-identified electronic medical records released by the organisers for the CCKS 2017 evaluation only — ' +
    'research use only. This model was trained on them and is therefore for research use only as well: do not use it commercially ' +
    'or for clinical decisions.',
  provenance:
    'Two independent public copies of the official release ("training dataset v4"), byte-identical: zyh961117/CCKS-2017-task2 ' +
    '(Data/Train/, commit c4410b0b) and karenlau010/CCKS2017 (case_of_illness/data2/, commit 5590aafb).',
};

// ---------------------------------------------------------------------------------------------------------
// steps 1 and 2: the segmenter spec and the pre-trained vectors (src/train/vectors.ts, shared with `cner train`)

export { bigramSequences, buildRunSegmenter, pretrainSequences, pretrainVectors } from '../src/train/vectors.js';

// ---------------------------------------------------------------------------------------------------------
// provenance

export interface Provenance {
  commit: string;
  /** uncommitted changes in the working tree when the model was made */
  dirty: boolean;
  date: string;
  node: string;
  platform: string;
  cpus: string;
}

export function provenance(): Provenance {
  let commit = 'unknown (not a git checkout)';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
  } catch {
    // no git: leave 'unknown'
  }
  const c = cpus();
  return { commit, dirty, date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, cpus: `${c.length} × ${c[0]?.model ?? 'unknown'}` };
}

// ---------------------------------------------------------------------------------------------------------
// step 6: the model card

export interface ModelCardInfo {
  title: string;
  /** where the shipped (int8) file lives, e.g. models/default.cner */
  modelPath: string;
  corpus: CorpusInfo;
  config: TrainConfig;
  pretrain: PretrainSettings & { corpus: string };
  segmenter: { variant: string; words: number };
  split: RunSummary['split'];
  data: RunSummary['data'];
  params: number;
  vocab: RunSummary['vocab'];
  labels: string[];
  best: RunSummary['best'];
  /** with a weight average: which weights the best epoch kept ('average' or 'raw') */
  kept?: string;
  stoppedBy: string;
  epochsRun: number;
  /** held-out figures on the test part; absent for a refit on every record (trainOn 'all': see selection) */
  metrics?: { f32: DocumentMetrics; int8: DocumentMetrics };
  /** a refit on every record states the figures of the selection runs that chose its recipe (scripts/selection.ts) */
  selection?: { figures: Selection; recipe: string };
  speed?: { f32: number; int8: number };
  /** what trained the network: the backend's name (e.g. "webgpu: NVIDIA H200 (nvidia, hopper)") and why auto chose it */
  backend?: { name: string; note?: string };
  models: { f32: ModelFileInfo; int8: ModelFileInfo };
  /** wall-clock seconds per step */
  timing: Record<string, number>;
  reproduce: string;
  provenance: Provenance;
}

const pct = (x: number | undefined) => (x === undefined ? '–' : (100 * x).toFixed(2));
const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
const minutes = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

function idRanges(ids: readonly string[]): string {
  const nums = ids.map(Number);
  if (!nums.every((n) => Number.isInteger(n))) return ids.join(', ');
  const sorted = [...nums].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

const STEP_NAMES: Record<string, string> = {
  segmenter: 'segmenter dictionary',
  charVectors: 'char vectors',
  wordVectors: 'word vectors',
  training: 'training',
  evaluation: 'evaluation',
};

function determinism(config: TrainConfig, pretrain: PretrainSettings): string {
  const w2v = pretrain.threads > 1
    ? `word2vec ${pretrain.seed} — but word2vec ran on ${pretrain.threads} threads (Hogwild), which is not deterministic`
    : `word2vec ${pretrain.seed}, one thread`;
  const workers = config.workers > 1
    ? `except for the order in which the ${config.workers} training workers' float gradients are summed: a rerun with the same worker
count follows the same order, but a different worker count agrees only to float rounding and drifts apart slowly, so figures
can move by a few tenths of a point.`
    : 'bit for bit (one training thread).';
  return `Deterministic given the seeds (split 2017, training ${config.seed}, ${w2v}), ${workers}`;
}

/** The card's seen / unseen section: strict scores of the int8 model (consistency on) on each class. */
function noveltySection(n: NoveltyScores, types: readonly string[]): string {
  const rows = ['| type | seen gold | seen P | seen R | seen F1 | unseen gold | unseen P | unseen R | unseen F1 |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const line = (label: string, a: Prf, b: Prf) => rows.push(`| ${label} | ${a.gold} | ${pct(a.precision)} | ${pct(a.recall)} | ${pct(a.f1)} | ${b.gold} | ${pct(b.precision)} | ${pct(b.recall)} | ${pct(b.f1)} |`);
  for (const t of types) if (n.seen.perType[t]) line(t, n.seen.perType[t], n.unseen.perType[t]);
  line('**micro**', n.seen.micro, n.unseen.micro);
  return `### Seen and unseen entities (int8, strict)

An entity is unseen when its string never occurs as an entity of its type in the training documents (${n.trainEntities} distinct); a prediction likewise.

${rows.join('\n')}`;
}

/** The card's record lists: the parts of the split, or, for a refit on every record, what the split was for. */
function recordLines(info: ModelCardInfo): string {
  const { split } = info;
  if (info.config.trainOn === 'all') {
    return `- every record (${split.train.length + split.dev.length + split.test.length}) trained the network; the split's dev records (${idRanges(split.dev)}) and test records (${idRanges(split.test)}) served the selection runs only`;
  }
  return `- dev records (${split.dev.length}): ${idRanges(split.dev)}
- test records (${split.test.length}): ${idRanges(split.test)}
- train records: the other ${split.train.length}`;
}

/** The card's row on extra training documents (config.extraTrain: e.g. text labelled by a teacher vote), if any. */
function extraTrainRow(info: ModelCardInfo): string {
  if (info.config.extraTrain.length === 0) return '';
  const extra = (info.data.train as { extra?: { docs?: number; chars?: number; entities?: number } }).extra;
  const files = info.config.extraTrain.map((f) => `\`${basename(f)}\``).join(', ');
  const size = extra ? `: ${extra.docs ?? '?'} documents, ${extra.chars ?? '?'} characters, ${extra.entities ?? '?'} entities` : '';
  return `| extra training documents | ${files}${size} (config extraTrain: training sentences only — e.g. unlabeled text labelled by a vote of trained models, scripts/pseudo-label.ts; vocabularies, segmenter and consistency table come from the corpus) |
`;
}

/** The card's Split paragraph: what trained the network and what its figures are measured on. */
function splitText(info: ModelCardInfo): string {
  const { config } = info;
  if (config.trainOn === 'all') {
    return `A refit on every record: the network was trained on the train, dev and test parts together for a fixed ${config.epochs} epochs (the epoch count the selection runs chose on dev), and the last epoch's weights were kept. Nothing is held out, so no figure below is measured on this file: the figures are those of the selection runs, the same recipe trained on the train part of each split and scored on its test part.`;
  }
  if (config.trainOn === 'train+dev') {
    return `A final fit: the network was trained on the train and dev parts together for a fixed ${config.epochs} epochs (the best epoch of the same recipe trained on the train part with early stopping on dev), and the last epoch's weights were kept; the test part was never used for training or selection. Every figure below is on the test part.`;
  }
  return 'Training used the train part, early stopping the dev part; every figure below is on the test part.';
}

function testSection(metrics: { f32: DocumentMetrics; int8: DocumentMetrics }, table: (kind: 'strict' | 'relaxed') => string, types: string[]): string {
  return `## Test results

Document level, the way users meet the model: the tagger on the whole test documents (\`evaluateModel\`), ${metrics.f32.docs} documents.
Strict = exact span and type; relaxed = overlapping span and same type. Bold: what users get (the int8 file, consistency check on).

### Strict

${table('strict')}

### Relaxed

${table('relaxed')}
${metrics.int8.novelty ? `\n${noveltySection(metrics.int8.novelty, types)}\n` : ''}`;
}

/** A refit's figures: the selection runs (scripts/selection.ts) of its recipe and of the baseline, per split. */
function selectionSection(selection: { figures: Selection; recipe: string }): string {
  const { figures, recipe } = selection;
  if (!figures.recipes.some((r) => r.name === recipe)) throw new Error(`modelCard: the selection figures have no recipe named ${JSON.stringify(recipe)}`);
  const kept = figures.recipes.filter((r) => r.name === recipe || r.name === figures.baseline);
  return `## Figures (selection runs)

This file has no held-out part. The recipe was chosen on the dev part of the blocked split (records in id order: new
records) by mean dev F1 over seeds; each row is that recipe (or the baseline it was compared with) trained on a
split's train part and scored, int8, consistency check on, through the tagger on the whole documents of that split's
test part: mean ± sample standard deviation over the seeds. Unseen: test entities whose string never occurs as an
entity of that type in the train part. Per-type columns: strict F1 (Δ from the baseline's mean). Made by
\`scripts/selection.ts\` on ${figures.date.slice(0, 10)}.

${selectionTable({ ...figures, recipes: kept })}
`;
}

/** Markdown for the model card. Figures only — never corpus text. */
export function modelCard(info: ModelCardInfo): string {
  const { config, metrics, selection } = info;
  if (!metrics && !selection) throw new Error('modelCard: needs the test figures (metrics) or, for a refit on every record, the selection runs\' figures');
  // every type of the tag set, and any other type the scores mention
  const types = [...new Set([...info.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2)), ...Object.keys(metrics?.f32.consistency.strict.perType ?? {})])].sort();
  // the shipped int8 model first; bold = what users get (int8, consistency check on)
  const table = (kind: 'strict' | 'relaxed') => {
    const rows = [
      `| type | gold | int8 P | int8 R | int8 F1 | int8 F1, no consistency | f32 P | f32 R | f32 F1 | f32 F1, no consistency |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ];
    type Cell = { precision: number; recall: number; f1: number; gold?: number } | undefined;
    const line = (label: string, get: (m: DocumentMetrics, on: boolean) => Cell) => {
      const a = get(metrics!.int8, true);
      const b = get(metrics!.int8, false);
      const c = get(metrics!.f32, true);
      const d = get(metrics!.f32, false);
      rows.push(`| ${label} | ${a?.gold ?? ''} | ${pct(a?.precision)} | ${pct(a?.recall)} | **${pct(a?.f1)}** | ${pct(b?.f1)} | ${pct(c?.precision)} | ${pct(c?.recall)} | ${pct(c?.f1)} | ${pct(d?.f1)} |`);
    };
    const set = (m: DocumentMetrics, on: boolean) => (on ? m.consistency : m.noConsistency)[kind];
    for (const t of types) line(t, (m, on) => set(m, on).perType[t]);
    line('**micro**', (m, on) => set(m, on).micro);
    line('macro', (m, on) => set(m, on).macro);
    return rows.join('\n');
  };
  const arch = [
    config.charDim ? `character embeddings ${config.charDim}` : null,
    config.wordDim ? `word embeddings ${config.wordDim}` : null,
    config.bigramDim ? `character-bigram embeddings ${config.bigramDim}` : null,
    config.lexDim ? `entity-lexicon embeddings ${config.lexDim} per type` : null,
    config.charLm.hidden ? `the hidden states of a forward and a backward character language model (${config.charLm.hidden} units each, pre-trained, frozen)` : null,
  ].filter(Boolean).join(' + ');
  const p = info.provenance;
  const typeList = types.join(', ');
  const t = info.timing;
  const totalSeconds = Object.values(t).reduce((a, b) => a + b, 0);
  const dataRow = (name: string, d: object) => {
    const x = d as { docs?: number; sentences?: number; chars?: number; entities?: number };
    return `| ${name} | ${x.docs ?? ''} | ${x.sentences ?? ''} | ${x.chars ?? ''} | ${x.entities ?? ''} |`;
  };
  return `# ${info.title}

<!-- generated by scripts/train-default.ts — do not edit by hand; rerun the script instead -->

> **Research use only.** ${info.corpus.terms}

## What it is

A Chinese clinical named-entity tagger: ${arch} → BiLSTM ${config.lstm.join(' → BiLSTM ')} (dropout ${config.dropout} after each)
→ ${config.crf ? 'CRF' : 'softmax'} over BIO tags, run by the SIMD WebAssembly kernels of this package, followed by the consistency check
(an entity string → type table from the training split that corrects disagreeing types; on by default, \`consistency: false\` turns it off).

- File: \`${info.modelPath}\` — int8 weights per row (the shipped model), ${mib(info.models.int8.bytes)}, SHA-256 \`${info.models.int8.sha256}\`
- Its f32 twin (not shipped): ${mib(info.models.f32.bytes)}, SHA-256 \`${info.models.f32.sha256}\`
- Entity types (${types.length}): ${typeList}; ${info.labels.length} BIO tags
- ${info.params.toLocaleString('en-US')} parameters; vocabularies: ${info.vocab.chars} characters, ${info.vocab.words} words
- Segmenter inside the model: ${info.segmenter.variant === 'none' ? 'none (every character is its own word: the word channel is a second character embedding)' : `${info.segmenter.variant} (${info.segmenter.words} dictionary words: jieba's dictionary pruned to the training + unlabeled texts${info.segmenter.variant === 'jieba+entities' ? ', plus every training entity string' : ''})`}
- Input: any Unicode text; offsets in the output refer to the original string. Intended for research on Chinese clinical text;
  it is not a medical device and makes mistakes (see the figures below).

## Data and terms

- ${info.corpus.name}. ${info.corpus.description}
- ${info.corpus.terms}
${info.corpus.provenance ? `- Provenance: ${info.corpus.provenance}\n` : ''}- Pre-training text: ${info.pretrain.corpus}

## Split

By record (all sections of a record on the same side), train/dev/test = 80/10/10, ${info.split.mode === 'blocked' ? 'blocked: the records in id order, test = the last 10 %, dev = the 10 % before (new records)' : `seed ${info.split.seed}`} (\`splitByRecord\`, record key \`${info.split.recordKey}\`).
${splitText(info)}

| part | documents | sentences | characters | entities |
|---|---:|---:|---:|---:|
${dataRow('train', info.data.train)}
${dataRow('dev', info.data.dev)}
${dataRow('test', info.data.test)}

${recordLines(info)}

## Training configuration

| setting | value |
|---|---|
| embeddings | char ${config.charDim}, word ${config.wordDim}; word2vec skip-gram pre-training (window ${info.pretrain.window}, ${info.pretrain.iterations} iterations, min count ${info.pretrain.minCount}, ${info.pretrain.negative} negative samples, seed ${info.pretrain.seed}) |
| BiLSTM | ${config.lstm.join(', ')} hidden units per direction, dropout ${config.dropout} |
| output | ${config.crf ? 'CRF' : 'softmax'} |
| optimiser | Adam lr ${config.optimizer.lr}, β ${config.optimizer.beta1}/${config.optimizer.beta2}, gradient norm clipped to ${config.optimizer.clip} |
| weight average | ${config.ema > 0 ? `exponential moving average of the weights after every step, decay min(${config.ema}, (1 + t) / (10 + t)) at step t (a warm-up); each epoch keeps the better on dev of the averaged and the raw weights (best epoch: ${info.kept ?? 'unknown'})` : 'none'} |
${config.bigramDim ? `| bigram channel | ${config.bigramDim}-dim embeddings of each character and the next (bigrams seen ≥ ${config.bigramMinCount}× in the train split; word2vec-pre-trained) |
` : ''}${config.lexDim ? `| lexicon channel | per entity type, the character's place (B/I/E/S) in a match of a training entity string, ${config.lexDim}-dim embeddings; ${config.lexiconFolds}-fold jackknife for training documents |
` : ''}${config.segmenterLexicon ? `| outside words | the segmenter also keeps the words of \`${basename(config.segmenterLexicon)}\` whole (segmenterLexicon) |
` : ''}${config.charLm.hidden ? `| char language models | forward and backward LSTM, hidden ${config.charLm.hidden}, input ${config.charLm.dim}, ${config.charLm.steps} Adam steps per direction (lr ${config.charLm.lr}, ${config.charLm.batch} pieces of ${config.charLm.seqLen} characters a step) on the pre-training text, then frozen |
` : ''}${extraTrainRow(info)}| batches | ${config.batchSize} sentences, bucketed by length; training sentences cut at ${config.maxSentenceLength} characters |
| stopping | ${config.trainOn !== 'train' ? `${info.epochsRun} epochs on ${config.trainOn === 'all' ? 'every record' : 'train + dev'}, the last kept (no dev set to select on)` : `at most ${config.epochs} epochs, patience ${config.patience} on dev entity F1; best epoch ${info.best.epoch} (dev F1 ${devF1Text(info, true)}), ${info.epochsRun} epochs run, stopped by ${info.stoppedBy}`} |
| seed | ${config.seed} (training), ${info.split.seed} (split) |
| workers | ${config.workers} data-parallel threads |
${info.backend ? `| trained on | ${info.backend.name}${info.backend.note ? ` (${info.backend.note})` : ''} (config backend \`${config.backend}\`) |
` : ''}
${metrics ? testSection(metrics, table, types) : selectionSection(selection!)}${info.speed ? `\nTagging speed while scoring (one thread, this machine): f32 ${Math.round(info.speed.f32).toLocaleString('en-US')} chars/s, int8 ${Math.round(info.speed.int8).toLocaleString('en-US')} chars/s.\n` : ''}
## Size and training time

- int8 file ${mib(info.models.int8.bytes)}, f32 file ${mib(info.models.f32.bytes)}
- Wall-clock time: ${Object.entries(t).map(([k, v]) => `${STEP_NAMES[k] ?? k} ${minutes(v)}`).join(', ')}; total ${minutes(totalSeconds)} on ${p.cpus}

## Reproduce

\`\`\`sh
${info.reproduce}
\`\`\`

${determinism(config, info.pretrain)}

## Provenance

- git commit \`${p.commit}\`${p.dirty ? ' (with uncommitted changes)' : ''}
- made ${p.date} with Node ${p.node} on ${p.platform}, ${p.cpus}
`;
}

// ---------------------------------------------------------------------------------------------------------
// the pipeline

export interface TrainDefaultOptions {
  data: string;
  format?: CorpusFormat;
  unlabeled?: string;
  out: string;
  /** run-config file (default configs/default.json) */
  config?: string;
  resume?: boolean;
  force?: boolean;
  install?: boolean;
  /** where --install writes default.cner and default.md (default <project>/models) */
  modelsDir?: string;
  /** overrides of the config */
  epochs?: number;
  maxMinutes?: number;
  workers?: number;
  seed?: number;
  pretrainIterations?: number;
  corpus?: CorpusInfo;
  /** the command line to print in the card */
  reproduce?: string;
  /** the selection runs' figures (scripts/selection.ts --json) and the recipe's name there: required with trainOn 'all' */
  selection?: { file: string; recipe: string };
  log?: (s: string) => void;
  progress?: false;
}

export interface TrainDefaultResult {
  card: string;
  cardPath: string;
  metricsPath: string;
  summary: RunSummary;
  /** steps skipped because their output existed (--resume) */
  skipped: string[];
  installed?: string;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** What the documents the network was fitted on are called (config.trainOn). */
const FIT_NAMES: Record<TrainOn, string> = { train: 'train split', 'train+dev': 'train + dev split', all: 'train + dev + test split (every record)' };

function readSelection(file: string, recipe: string): { figures: Selection; recipe: string } {
  if (!existsSync(file)) throw new Error(`--selection: ${file} does not exist (make it with scripts/selection.ts --json)`);
  const figures = JSON.parse(readFileSync(file, 'utf8')) as Selection;
  if (!Array.isArray(figures.recipes) || typeof figures.baseline !== 'string') throw new Error(`--selection: ${file} is not a scripts/selection.ts --json file`);
  const names = [...new Set(figures.recipes.map((r) => r.name))];
  if (!names.includes(recipe)) throw new Error(`--selection-recipe: ${JSON.stringify(recipe)} is not among the recipes of ${file} (${names.join(', ')})`);
  return { figures, recipe };
}

export async function trainDefault(opts: TrainDefaultOptions): Promise<TrainDefaultResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const out = resolve(opts.out);
  if (!opts.resume && !opts.force && isDir(out) && readdirSync(out).length > 0) {
    throw new Error(`${out} is not empty: pass --resume to continue (finished steps are skipped) or --force to redo every step`);
  }
  mkdirSync(out, { recursive: true });
  const cfgPath = opts.config ?? join(ROOT, 'configs', 'default.json');
  const file = loadRunConfig(cfgPath);
  const pretrain = { ...file.pretrain, ...(opts.pretrainIterations ? { iterations: opts.pretrainIterations } : {}) };
  const skipped: string[] = [];
  const timingPath = join(out, 'timing.json');
  const timing: Record<string, number> = opts.resume && existsSync(timingPath) ? JSON.parse(readFileSync(timingPath, 'utf8')) : {};
  const saveTiming = () => writeFileSync(timingPath, JSON.stringify(timing, null, 1));
  // once a step runs, the steps after it run too (their inputs may have changed)
  let stale = false;
  const done = (path: string, step: string) => {
    if (opts.resume && !stale && existsSync(path)) {
      skipped.push(step);
      log(`${step}: ${relative(process.cwd(), path)} exists, skipped (--resume)`);
      return true;
    }
    return false;
  };

  // the corpus, split as every run splits it (the config's split: random, or blocked by record id)
  const { split, issues } = await readSplit(opts.data, opts.format, file.config.split);
  if (issues) log(`corpus: ${issues} issue(s) while reading (those spans skipped)`);
  if (split.train.length === 0) throw new Error(`${opts.data}: no training documents`);
  const unlabeled = opts.unlabeled ? readUnlabeled(opts.unlabeled) : [];
  const variant: SegdictVariant = file.segmenter ?? 'jieba+entities';
  const config0 = resolveConfig({ ...file.config, ...(opts.epochs ? { epochs: opts.epochs } : {}), ...(opts.workers ? { workers: opts.workers } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  // the labelled documents the network is fitted on (config.trainOn: a final fit adds the dev records, a refit every
  // record); the segmenter and the vectors see the same ones
  if (config0.trainOn === 'all' && !opts.selection) {
    throw new Error("the config trains on every record (trainOn 'all'): nothing is held out, so pass --selection FILE (scripts/selection.ts --json) with the selection runs' figures for the card");
  }
  const selection = opts.selection ? readSelection(opts.selection.file, opts.selection.recipe) : undefined;
  const fitted = fitDocs(split, config0.trainOn);
  const fitName = FIT_NAMES[config0.trainOn];

  // 1. segmenter
  const segPath = join(out, 'segmenter.json');
  let spec: SegmenterSpec;
  if (done(segPath, '1/6 segmenter')) spec = JSON.parse(readFileSync(segPath, 'utf8')) as SegmenterSpec;
  else {
    log(`1/6 segmenter: ${variant}${variant === 'none' ? ' (every character its own word)' : `, pruned to the ${fitName} + unlabeled texts`}`);
    const t0 = performance.now();
    spec = buildRunSegmenter(fitted, unlabeled, variant, readLexiconWords(config0.segmenterLexicon));
    writeFileSync(segPath, JSON.stringify(spec));
    stale = true;
    timing.segmenter = (performance.now() - t0) / 1000;
    saveTiming();
  }
  const words = spec.kind === 'dict' ? spec.words.length : 0;

  // 2. vectors
  const embeddings = await makeVectors({
    texts: [...fitted.map((d) => d.text), ...unlabeled],
    segmenter: spec,
    config: config0,
    pretrain,
    dir: join(out, 'vectors'),
    log,
    step: '2/6',
    keep: done,
    onMade: (kind, seconds) => {
      timing[`${kind}Vectors`] = seconds;
      saveTiming();
      stale = true;
    },
  });
  const config = resolveConfig({ ...config0, embeddings });

  // 3. training (and 4. the document-level evaluation, inside runTraining)
  const trainDir = join(out, 'train');
  const summaryPath = join(trainDir, 'summary.json');
  let summary: RunSummary;
  const finished = existsSync(summaryPath) && (JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary).stoppedBy !== 'time';
  if (opts.resume && !stale && finished) {
    skipped.push('3/6 training');
    log(`3/6 training: ${relative(process.cwd(), summaryPath)} exists, skipped (--resume)`);
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  } else {
    const before = opts.resume && !stale ? (timing.training ?? 0) : 0; // time spent by an earlier, interrupted call
    log(`3/6 training: ${JSON.stringify({ lstm: config.lstm, epochs: config.epochs, patience: config.patience, workers: config.workers, seed: config.seed })}`);
    const corpus = opts.corpus ?? CCKS2017;
    summary = await runTraining({
      data: opts.data,
      format: opts.format,
      out: trainDir,
      config,
      maxMinutes: opts.maxMinutes,
      // an unfinished run continues from its checkpoint, unless its inputs were just remade
      resume: opts.resume && !stale,
      unlabeled: opts.unlabeled,
      segmenter: variant,
      evaluate: true,
      corpus: corpus.name,
      license: corpus.terms,
      log,
      progress: opts.progress,
    });
    timing.training = before + summary.seconds; // data preparation, epochs and the test evaluation
    saveTiming();
    stale = true;
    if (summary.stoppedBy === 'time') log('3/6 training stopped by --max-minutes: rerun with --resume to continue');
  }
  const header = readModel(new Uint8Array(readFileSync(summary.models.int8))).header;
  if (JSON.stringify(header.segmenter) !== JSON.stringify(spec)) {
    throw new Error('the model\'s segmenter differs from segmenter.json (the word vectors were made with another segmentation): rerun with --force');
  }

  // 4. metrics (a refit on every record has no test part: its card states the selection runs' figures)
  const metricsPath = join(out, 'metrics.json');
  if (selection && config.trainOn === 'all') {
    if (!done(metricsPath, '4/6 metrics')) {
      writeFileSync(metricsPath, JSON.stringify({ script: 'scripts/train-default.ts', heldOut: null, note: 'trained on every record: the figures are those of the selection runs', selection: selection.figures, recipe: selection.recipe }, null, 1));
    }
  } else if (!summary.evaluation) {
    if (split.test.length === 0) throw new Error('the test split is empty: nothing to report');
    const t0 = performance.now();
    summary.evaluation = {
      f32: await evaluateModel(new Uint8Array(readFileSync(summary.models.f32)), split.test, { train: fitted }),
      int8: await evaluateModel(new Uint8Array(readFileSync(summary.models.int8)), split.test, { train: fitted }),
    };
    timing.evaluation = (performance.now() - t0) / 1000;
    saveTiming();
  }
  if (summary.evaluation && !done(metricsPath, '4/6 metrics')) {
    writeFileSync(metricsPath, JSON.stringify(metricsJson(summary, { script: 'scripts/train-default.ts', data: opts.data, unlabeled: opts.unlabeled ?? null, config, pretrain }), null, 1));
    log(formatEvaluation(summary.evaluation));
  }

  // 5. install
  const modelsDir = opts.modelsDir ?? join(ROOT, 'models');
  let installed: string | undefined;
  if (opts.install) {
    mkdirSync(modelsDir, { recursive: true });
    installed = join(modelsDir, 'default.cner');
    copyFileSync(summary.models.int8, installed);
    log(`5/6 installed ${relative(process.cwd(), installed)}`);
  }

  // 6. model card
  const info: ModelCardInfo = {
    title: 'cner default model — BiLSTM-CRF for Chinese clinical NER (CCKS 2017)',
    modelPath: installed ? relative(ROOT, installed) : relative(ROOT, summary.models.int8),
    corpus: opts.corpus ?? CCKS2017,
    config,
    pretrain: { ...pretrain, corpus: `the ${FIT_NAMES[config.trainOn]} texts + ${opts.unlabeled ? `${unlabeled.length} lines of unlabeled clinical text (${relative(ROOT, resolve(opts.unlabeled))})` : 'no unlabeled text'}` },
    segmenter: { variant, words },
    split: summary.split,
    data: summary.data,
    params: summary.params,
    vocab: summary.vocab,
    labels: header.tags.labels,
    best: summary.best,
    kept: summary.history.find((h) => h.epoch === summary.best.epoch)?.kept,
    stoppedBy: summary.stoppedBy,
    epochsRun: summary.history.length,
    metrics: summary.evaluation ? { f32: documentMetrics(summary.evaluation.f32), int8: documentMetrics(summary.evaluation.int8) } : undefined,
    selection,
    speed: summary.evaluation ? { f32: summary.evaluation.f32.charsPerSecond, int8: summary.evaluation.int8.charsPerSecond } : undefined,
    backend: summary.backend,
    models: { f32: modelFileInfo(summary.models.f32), int8: modelFileInfo(summary.models.int8) },
    timing,
    reproduce: opts.reproduce ?? 'npm run train:default -- --install',
    provenance: provenance(),
  };
  const card = modelCard(info);
  const cardPath = join(out, 'MODEL_CARD.md');
  writeFileSync(cardPath, card);
  if (opts.install) writeFileSync(join(modelsDir, 'default.md'), card);
  log(`6/6 model card: ${relative(process.cwd(), cardPath)}${opts.install ? ` and ${relative(process.cwd(), join(modelsDir, 'default.md'))}` : ''}`);
  return { card, cardPath, metricsPath, summary, skipped, installed };
}

// ---------------------------------------------------------------------------------------------------------
// command line

const USAGE = `usage: tsx scripts/train-default.ts [--data DIR] [--unlabeled FILE] [--out DIR] [--config FILE] [--format FMT]
         [--resume] [--force] [--install] [--epochs N] [--max-minutes N] [--workers N] [--seed N] [--pretrain-iterations N]
         [--selection FILE --selection-recipe NAME]   (required when the config trains on every record: trainOn "all")
(see the file header)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string', default: '../shared/data/ccks2017/train' },
      unlabeled: { type: 'string', default: '../shared/data/unlabeled/clinical-unlabeled.txt' },
      out: { type: 'string', default: 'runs/default' },
      config: { type: 'string' },
      format: { type: 'string' },
      resume: { type: 'boolean' },
      force: { type: 'boolean' },
      install: { type: 'boolean' },
      epochs: { type: 'string' },
      'max-minutes': { type: 'string' },
      workers: { type: 'string' },
      seed: { type: 'string' },
      'pretrain-iterations': { type: 'string' },
      selection: { type: 'string' },
      'selection-recipe': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const int = (name: string, min: number) => {
    const v = values[name as keyof typeof values] as string | undefined;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  if (values.format !== undefined && !isCorpusFormat(values.format)) throw new Error(`--format: unknown format ${JSON.stringify(values.format)}`);
  if (!existsSync(values.data!)) throw new Error(`--data: ${values.data} does not exist (the CCKS 2017 training folder; see ../shared/data/README.md)`);
  let unlabeled: string | undefined = values.unlabeled;
  if (unlabeled && !existsSync(unlabeled)) {
    process.stderr.write(`warning: --unlabeled ${unlabeled} does not exist: pre-training on the train split only\n`);
    unlabeled = undefined;
  }
  const mm = values['max-minutes'] === undefined ? undefined : Number(values['max-minutes']);
  if (mm !== undefined && !(mm > 0)) throw new Error(`--max-minutes: expected a positive number, got ${JSON.stringify(values['max-minutes'])}`);
  const extra = argv.filter((a) => a !== '--resume' && a !== '--force');
  const r = await trainDefault({
    data: values.data!,
    unlabeled,
    out: values.out!,
    config: values.config,
    format: values.format as CorpusFormat | undefined,
    resume: values.resume,
    force: values.force,
    install: values.install,
    epochs: int('epochs', 1),
    maxMinutes: mm,
    workers: int('workers', 1),
    seed: int('seed', 0),
    pretrainIterations: int('pretrain-iterations', 1),
    selection: values.selection ? { file: values.selection, recipe: values['selection-recipe'] ?? 'default' } : undefined,
    reproduce: `npm run train:default --${extra.includes('--install') ? '' : ' --install'}${extra.length ? ' ' + extra.join(' ') : ''}`,
  });
  process.stdout.write(`${r.skipped.length ? `skipped (--resume): ${r.skipped.join(', ')}\n` : ''}model card: ${r.cardPath}\nmetrics: ${r.metricsPath}\n`);
  return 0;
}

runIfMain(import.meta.url, 'train-default', main);
