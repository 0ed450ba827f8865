/**
 * `npm run experiments`: the paper's comparisons on the fixed test split (records split 80/10/10, seed 2017),
 * every variant over several training seeds (mean ± std), every figure from evaluateModel (the tagger on the
 * whole test documents; the f32 model files).
 *
 *   tsx scripts/experiments.ts [--seeds 1,2,3] [--epochs N] [--max-minutes N] [--only NAME,...] [--out runs/experiments]
 *       [--data ../shared/data/ccks2017/train] [--unlabeled FILE] [--config configs/paper.json] [--workers N]
 *       [--pretrain-iterations N] [--crf-optimizer lbfgs|adagrad] [--crf-iterations N] [--estimate] [--no-docs | --write-docs]
 *       [--split random|blocked]
 *
 * --split blocked (issue 16) runs the variants on the blocked split (records in id order: test = the last 10 %, dev
 * = the 10 % before) instead of the seeded random one; its runs are cached apart, in <out>/split-blocked/, and the
 * report files are left alone unless --write-docs (they describe the random split). Every table has an unseen-F1
 * column: strict F1 on the test entities whose string never occurs as an entity of its type in the train part.
 *
 * Issue 16's opt-in variants (OPT_IN_VARIANTS: default+thuocl-seg, default+augment, default+augment-dt,
 * default+thuocl-seg+augment, default+charlm-64, default+thuocl-lex, default+thuocl-lex-only; the recipes of configs/experiments/) run only when --only names them, e.g. `--split
 * blocked --only default,default+thuocl-seg --no-docs`; the full list of rows stays the paper's plus the shipped recipe.
 *
 * --estimate prints the plan and a time estimate and stops. docs/experiments.md and README.md are written only for the
 * default data (../shared/data/ccks2017/train) unless --write-docs; --no-docs never writes them (trial runs).
 *
 * Every run is cached in <out>/<variant>/seed-<n>/ (metrics.json, the models, a checkpoint): a rerun skips
 * finished runs and continues unfinished ones from their checkpoint. Pre-trained vectors are made once per
 * setting that does not depend on the seed (<out>/vectors/<key>/). At the end it writes docs/experiments.md and
 * the table between the `<!-- experiments:begin -->` / `<!-- experiments:end -->` markers of README.md (only
 * when both markers are there).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CorpusFormat, SplitMode } from '../src/corpus/index.js';
import { SPLIT_MODES, isCorpusFormat, isSplitMode } from '../src/corpus/index.js';
import { alignTable, type EntityEvalReport, type ScoreSet } from '../src/eval/index.js';
import { type PretrainSettings, type TrainConfig, identityOf, resolveConfig } from '../src/train/config.js';
import { runFeatureCrfExperiment } from './featcrf/index.js';
import { type RunSummary, readSplit, readUnlabeled, runTraining } from '../src/train/run.js';
import { type SegdictVariant, readLexiconWords } from '../src/train/segdict.js';
import { createSegmenter } from '../src/segment/index.js';
import { metricsJson } from '../src/train/report.js';
import { loadRunConfig } from '../src/train/run-config.js';
import { meanStd } from './stats.js';
import { ROOT, bigramSequences, buildRunSegmenter, pretrainSequences, pretrainVectors, provenance } from './train-default.js';
import { runIfMain } from './run-main.js';

// ---------------------------------------------------------------------------------------------------------
// the variants

export interface VariantSpec {
  name: string;
  /** one line for the table */
  what: string;
  /** neural: a BiLSTM(-CRF) run; crf: the feature CRF; alias: the runs of `sameAs`, scored as `consistency` says */
  kind: 'neural' | 'crf' | 'alias';
  segmenter?: SegdictVariant;
  override?: Partial<TrainConfig>;
  /** use pre-trained vectors (default true) */
  pretrained?: boolean;
  sameAs?: string;
  /** score with the consistency check on (default) or off */
  consistency?: boolean;
  /** the paper's reported change of strict F1 for this variant vs the full model (points; undefined = not reported) */
  paper?: { delta: number; about?: boolean; note: string };
}

export const FULL = 'bilstm-crf';

/** A recipe file as a variant: the segmenter and every config field where it differs from configs/paper.json. */
function recipeOf(...path: string[]): Pick<VariantSpec, 'segmenter' | 'override'> {
  const paper = loadRunConfig(join(ROOT, 'configs', 'paper.json'));
  const shipped = loadRunConfig(join(ROOT, 'configs', ...path));
  const override: Record<string, unknown> = {};
  for (const k of Object.keys(shipped.config) as (keyof TrainConfig)[]) {
    if (k !== 'embeddings' && JSON.stringify(shipped.config[k]) !== JSON.stringify(paper.config[k])) override[k] = shipped.config[k];
  }
  return { segmenter: shipped.segmenter, override: override as Partial<TrainConfig> };
}

export const VARIANTS: readonly VariantSpec[] = [
  { name: 'crf', kind: 'crf', what: 'feature CRF baseline (char n-grams + cross-fold entity dictionary)' },
  { name: 'bilstm', kind: 'neural', override: { crf: false }, what: 'BiLSTM + softmax (no CRF layer)' },
  { name: FULL, kind: 'neural', what: 'full model: BiLSTM-CRF, pre-trained char + word vectors, jieba + entity dictionary, dropout, consistency check' },
  { name: 'seg-none', kind: 'neural', segmenter: 'none', what: 'full model, no segmentation (every character is its own word)' },
  { name: 'seg-jieba', kind: 'neural', segmenter: 'jieba', what: 'full model, plain jieba segmentation' },
  { name: 'seg-jieba+entities', kind: 'alias', sameAs: FULL, what: 'full model, jieba + training entity strings (= bilstm-crf)' },
  { name: 'no-preprocessing', kind: 'alias', sameAs: 'seg-jieba', what: 'full model without the entity dictionary in the segmenter (= seg-jieba)', paper: { delta: -2, about: true, note: 'preprocessing ≈ +2' } },
  { name: 'no-pretrain', kind: 'neural', pretrained: false, what: 'full model, random embeddings', paper: { delta: -3.37, note: 'pre-training +3.37' } },
  { name: 'no-dropout', kind: 'neural', override: { dropout: 0 }, what: 'full model, dropout 0', paper: { delta: -1.43, note: 'dropout +1.43' } },
  { name: 'no-char', kind: 'neural', override: { charDim: 0 }, what: 'full model without character embeddings (words only)', paper: { delta: -0.56, note: 'char embeddings +0.56' } },
  { name: 'no-consistency', kind: 'alias', sameAs: FULL, consistency: false, what: 'the bilstm-crf models scored with the consistency check off (no training)', paper: { delta: -2.26, note: 'consistency check +2.26' } },
  // beyond the paper: configs/default.json, as its differences from configs/paper.json
  { name: 'default', kind: 'neural', ...recipeOf('default.json'), what: 'the shipped recipe (configs/default.json): seg-jieba + a moving average of the weights (EMA 0.999), beyond the paper' },
];

/**
 * Issue 16's outside knowledge and augmentation (configs/experiments/*.json: the shipped recipe plus one piece each),
 * run only when named with --only (meant for --split blocked); the THUOCL word list is read from ../shared/data/lexicons.
 */
export const OPT_IN_VARIANTS: readonly VariantSpec[] = [
  { name: 'default+thuocl-seg', kind: 'neural', ...recipeOf('experiments', 'thuocl-seg.json'), what: "the shipped recipe + THUOCL's medical words as segmenter words (configs/experiments/thuocl-seg.json)" },
  { name: 'default+augment', kind: 'neural', ...recipeOf('experiments', 'augment.json'), what: 'the shipped recipe + one augmented copy of each training document, entities replaced by other training strings of their type (configs/experiments/augment.json)' },
  {
    name: 'default+augment-dt',
    kind: 'neural',
    ...recipeOf('experiments', 'augment-dt.json'),
    what: 'the shipped recipe + one augmented copy of each training document, DISEASE and TREATMENT entities only replaced (configs/experiments/augment-dt.json)',
  },
  {
    name: 'default+thuocl-seg+augment',
    kind: 'neural',
    ...recipeOf('experiments', 'thuocl-seg-augment.json'),
    what: 'THUOCL segmenter words + DISEASE and TREATMENT augmentation with THUOCL words (typed by their last character) among the replacements (configs/experiments/thuocl-seg-augment.json)',
  },
  {
    name: 'default+charlm-64',
    kind: 'neural',
    ...recipeOf('experiments', 'charlm-64.json'),
    what: 'the shipped recipe + the charLm channel: frozen forward and backward char LSTM language models (hidden 64) pre-trained on the unlabeled and training texts (configs/experiments/charlm-64.json)',
  },
  {
    name: 'default+thuocl-lex',
    kind: 'neural',
    ...recipeOf('experiments', 'thuocl-lex.json'),
    what: "THUOCL segmenter words + the outsideLex channel over the same words (16-dim; configs/experiments/thuocl-lex.json)",
  },
  {
    name: 'default+thuocl-lex-only',
    kind: 'neural',
    ...recipeOf('experiments', 'thuocl-lex-only.json'),
    what: "the shipped recipe + the outsideLex channel over THUOCL's medical words, its own stored list (configs/experiments/thuocl-lex-only.json)",
  },
];

const ALL_VARIANTS: readonly VariantSpec[] = [...VARIANTS, ...OPT_IN_VARIANTS];
const byName = new Map(ALL_VARIANTS.map((v) => [v.name, v]));

/** The variants that must be trained (or run) for `names`: aliases bring their source. */
export function runsNeeded(names: readonly string[]): VariantSpec[] {
  const need = new Set<string>();
  for (const n of names) {
    const v = byName.get(n);
    if (!v) throw new Error(`unknown variant '${n}' (known: ${ALL_VARIANTS.map((x) => x.name).join(', ')})`);
    need.add(v.kind === 'alias' ? v.sameAs! : v.name);
  }
  return ALL_VARIANTS.filter((v) => need.has(v.name));
}

// ---------------------------------------------------------------------------------------------------------
// options and results

export interface ExperimentOptions {
  data: string;
  format?: CorpusFormat;
  unlabeled?: string;
  out: string;
  /** run-config file of the full model (default configs/paper.json: the paper's setup) */
  config?: string;
  seeds: number[];
  epochs?: number;
  maxMinutes?: number;
  workers?: number;
  only?: string[];
  pretrainIterations?: number;
  crfOptimizer?: 'lbfgs' | 'adagrad';
  crfIterations?: number;
  /** the record split (default 'random'; 'blocked': contiguous by record id, runs cached in <out>/split-blocked/) */
  split?: SplitMode;
  /** where to write the report (default <project>/docs/experiments.md; null = nowhere) */
  docsPath?: string | null;
  /** README with the markers (default <project>/README.md; null = leave alone) */
  readmePath?: string | null;
  /** only print the plan and the time estimate */
  estimateOnly?: boolean;
  log?: (s: string) => void;
  progress?: false;
}

/** The test scores of one run as the tables use them. */
export interface RunScores {
  strict: number;
  relaxed: number;
  /** strict F1 on the unseen test entities (absent for runs scored before it existed, and for the feature CRF) */
  unseen?: number;
  perType: Record<string, { strict: number; relaxed: number }>;
}

export interface VariantRow {
  variant: VariantSpec;
  seeds: number[];
  runs: RunScores[];
  strict: { mean: number; std: number };
  relaxed: { mean: number; std: number };
  /** unseen-entity strict F1 over the runs that have it */
  unseen: { mean: number; std: number; n: number };
  perType: Record<string, { strict: { mean: number; std: number }; relaxed: { mean: number; std: number } }>;
  /** strict F1 mean minus the full model's (points), when both are there */
  delta?: number;
  deltaRelaxed?: number;
}

export interface RunRecord {
  variant: string;
  seed: number;
  dir: string;
  cached: boolean;
  seconds: number;
  epochsRun?: number;
  bestEpoch?: number;
  stoppedBy?: string;
}

export interface ExperimentResults {
  rows: VariantRow[];
  runs: RunRecord[];
  /** run folders trained (or run) by this call */
  trained: string[];
  estimateSeconds: number;
  markdown: string;
  table: string;
}

// ---------------------------------------------------------------------------------------------------------
// statistics and tables

export { meanStd } from './stats.js';

export function scoresOf(report: Pick<EntityEvalReport, 'strict' | 'relaxed' | 'novelty'>): RunScores {
  const perType: RunScores['perType'] = {};
  for (const t of Object.keys(report.strict.perType)) perType[t] = { strict: report.strict.perType[t].f1, relaxed: report.relaxed.perType[t]?.f1 ?? 0 };
  return { strict: report.strict.micro.f1, relaxed: report.relaxed.micro.f1, ...(report.novelty ? { unseen: report.novelty.unseen.micro.f1 } : {}), perType };
}

/** Rows of the variants (in VARIANTS order) from per-seed scores. */
export function aggregate(variants: readonly VariantSpec[], scores: Map<string, Map<number, RunScores>>): VariantRow[] {
  const rows: VariantRow[] = variants.map((v) => {
    const bySeed = scores.get(v.name) ?? new Map<number, RunScores>();
    const seeds = [...bySeed.keys()].sort((a, b) => a - b);
    const runs = seeds.map((s) => bySeed.get(s)!);
    const types = [...new Set(runs.flatMap((r) => Object.keys(r.perType)))].sort();
    const perType: VariantRow['perType'] = {};
    for (const t of types) {
      perType[t] = { strict: meanStd(runs.map((r) => r.perType[t]?.strict ?? 0)), relaxed: meanStd(runs.map((r) => r.perType[t]?.relaxed ?? 0)) };
    }
    const unseen = runs.flatMap((r) => (r.unseen === undefined ? [] : [r.unseen]));
    return { variant: v, seeds, runs, strict: meanStd(runs.map((r) => r.strict)), relaxed: meanStd(runs.map((r) => r.relaxed)), unseen: { ...meanStd(unseen), n: unseen.length }, perType };
  });
  const full = rows.find((r) => r.variant.name === FULL);
  for (const r of rows) {
    if (!full || full.runs.length === 0 || r.runs.length === 0) continue;
    r.delta = 100 * (r.strict.mean - full.strict.mean);
    r.deltaRelaxed = 100 * (r.relaxed.mean - full.relaxed.mean);
  }
  return rows;
}

const f2 = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : '–');
const pm = (m: { mean: number; std: number }, n: number) => (n === 0 ? '–' : n === 1 ? f2(m.mean) : `${f2(m.mean)} ± ${f2(m.std)}`);
const signed = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`);
const isFull = (v: VariantSpec) => v.name === FULL || (v.kind === 'alias' && v.sameAs === FULL && v.consistency !== false);
const paperCell = (v: VariantSpec) => (v.paper ? `${v.paper.about ? '≈ ' : ''}${signed(v.paper.delta)}` : isFull(v) ? '0' : '–');

/** The main table as Markdown: variant, what, strict and relaxed micro F1 (mean ± std), Δ vs the full model, the paper's Δ. */
export function markdownTable(rows: readonly VariantRow[]): string {
  const lines = [
    '| variant | model | strict F1 | relaxed F1 | unseen F1 | Δ strict | Δ relaxed | paper Δ | seeds |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const n = r.runs.length;
    const name = r.variant.name === FULL ? `**${r.variant.name}**` : r.variant.name;
    lines.push(`| ${name} | ${r.variant.what} | ${pm(r.strict, n)} | ${pm(r.relaxed, n)} | ${pm(r.unseen, r.unseen.n)} | ${r.variant.name === FULL ? '0' : signed(r.delta)} | ${r.variant.name === FULL ? '0' : signed(r.deltaRelaxed)} | ${paperCell(r.variant)} | ${n} |`);
  }
  return lines.join('\n');
}

/** The same as a plain-text table for the terminal. */
export function textTable(rows: readonly VariantRow[]): string {
  const t: string[][] = [['variant', 'strict F1', 'relaxed F1', 'unseen F1', 'Δ strict', 'Δ relaxed', 'paper Δ', 'seeds']];
  for (const r of rows) {
    const n = r.runs.length;
    t.push([r.variant.name, pm(r.strict, n), pm(r.relaxed, n), pm(r.unseen, r.unseen.n), r.variant.name === FULL ? '0' : signed(r.delta), r.variant.name === FULL ? '0' : signed(r.deltaRelaxed), paperCell(r.variant), String(n)]);
  }
  return alignTable(t);
}

function perTypeTable(rows: readonly VariantRow[], kind: 'strict' | 'relaxed'): string {
  const types = [...new Set(rows.flatMap((r) => Object.keys(r.perType)))].sort();
  const lines = [`| variant | ${types.join(' | ')} | micro |`, `|---|${types.map(() => '---:|').join('')}---:|`];
  for (const r of rows) {
    const n = r.runs.length;
    lines.push(`| ${r.variant.name} | ${types.map((t) => (r.perType[t] ? pm(r.perType[t][kind], n) : '–')).join(' | ')} | ${pm(r[kind], n)} |`);
  }
  return lines.join('\n');
}

const minutes = (s: number) => (s >= 5400 ? `${(s / 3600).toFixed(1)} h` : s >= 90 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`);

export interface ReportContext {
  data: string;
  unlabeled?: string;
  seeds: number[];
  epochs: number;
  patience: number;
  maxMinutes?: number;
  workers: number;
  pretrain: PretrainSettings;
  crf: { optimizer: string; iterations?: number };
  split: { train: number; dev: number; test: number; testDocs: number };
}

/** docs/experiments.md. */
export function experimentsMarkdown(rows: readonly VariantRow[], runs: readonly RunRecord[], ctx: ReportContext): string {
  const p = provenance();
  const runLines = ['| variant | seed | epochs run | best epoch | stopped by | time |', '|---|---:|---:|---:|---|---:|'];
  for (const r of runs) runLines.push(`| ${r.variant} | ${r.seed} | ${r.epochsRun ?? '–'} | ${r.bestEpoch ?? '–'} | ${r.stoppedBy ?? '–'} | ${minutes(r.seconds)} |`);
  const budget = `at most ${ctx.epochs} epochs (patience ${ctx.patience})${ctx.maxMinutes ? `, at most ${ctx.maxMinutes} min per run` : ''}, ${ctx.workers} worker thread(s)`;
  const short = rows.some((r) => r.runs.length > 0) && (ctx.epochs < 10 || (ctx.maxMinutes !== undefined && ctx.maxMinutes < 10));
  return `# Experiments

<!-- generated by scripts/experiments.ts (npm run experiments) — do not edit by hand; rerun the script instead -->

The paper's comparisons, reproduced on the fixed test split of CCKS 2017 Task 2: records split 80/10/10 with seed 2017
(${ctx.split.train} / ${ctx.split.dev} / ${ctx.split.test} records; ${ctx.split.testDocs} test documents). Every neural figure is document-level
and comes from \`evaluateModel\` (src/train/evaluate.ts): the tagger run on the whole test documents with the f32 model file,
strict (exact span and type) and relaxed (overlapping span, same type) micro F1, consistency check on unless the variant
says otherwise. Mean ± sample standard deviation over training seeds ${ctx.seeds.join(', ')} (the split stays the same).
Δ = variant minus the full model (${FULL}), in F1 points; "paper Δ" is the change the paper reports for removing that component.
${short ? '\n> **Short budget.** These runs were cut short (see the budget below), so the figures show the pipeline working rather than\n> converged models; rerun with the default budget for comparable numbers.\n' : ''}
${markdownTable(rows)}

## Per type, strict F1

${perTypeTable(rows, 'strict')}

## Per type, relaxed F1

${perTypeTable(rows, 'relaxed')}

## Setup

- Data: ${ctx.data}${ctx.unlabeled ? `; unlabeled text for pre-training and the segmenter dictionary: ${ctx.unlabeled}` : ''}
- Full model: configs/paper.json (char + word embeddings 50 + 50, BiLSTM 128 → 64, dropout 0.5, CRF, Adam 1e-3, clip 5,
  batches of 16), early stopping on dev entity F1; budget per run: ${budget}.
- Pre-trained vectors: word2vec skip-gram (window ${ctx.pretrain.window}, ${ctx.pretrain.iterations} iterations, min count ${ctx.pretrain.minCount}, seed ${ctx.pretrain.seed}) on the
  train split texts + the unlabeled text, made once per segmenter and shared by every seed; the word vectors of a
  variant use that variant's segmenter (seg-none: its "words" are characters, so it reuses the character vectors).
- crf: the feature CRF of scripts/featcrf/ (character n-grams, word-boundary-free, plus a cross-fold entity dictionary),
  trained with ${ctx.crf.optimizer === 'lbfgs' ? 'L-BFGS' : 'AdaGrad'}${ctx.crf.iterations ? ` (at most ${ctx.crf.iterations} ${ctx.crf.optimizer === 'lbfgs' ? 'iterations' : 'epochs'})` : ''}, stopping on dev strict F1; it has no
  consistency check, and it is scored by the same src/eval code on the same test documents.
- Aliases, not separate runs: seg-jieba+entities is bilstm-crf; no-preprocessing (the entity dictionary is the
  preprocessing) is seg-jieba; no-consistency is the bilstm-crf models scored with the consistency check off.
- Deterministic given the seeds except for the order in which the worker threads' float gradients are summed.

## Runs

${runLines.join('\n')}

Made ${p.date} from git commit \`${p.commit}\`${p.dirty ? ' (with uncommitted changes)' : ''}, Node ${p.node}, ${p.cpus}.
`;
}

/** Replaces the text between the experiments markers of a README; false when the markers are missing. */
export function replaceBetweenMarkers(readme: string, content: string): string | null {
  const begin = '<!-- experiments:begin -->';
  const end = '<!-- experiments:end -->';
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < 0 || b < a) return null;
  return readme.slice(0, a + begin.length) + '\n' + content.trim() + '\n' + readme.slice(b);
}

/** Where the hand-measured part of docs/experiments.md begins (runs made with `cner train`, not by this script). */
export const KEPT_MARKER = '<!-- experiments:kept — measured by hand below; scripts/experiments.ts keeps it when it rewrites the file -->';

/** The new generated report followed by the previous file's hand-measured part (from KEPT_MARKER on), if it has one. */
export function keepHandMeasured(previous: string | null, generated: string): string {
  const at = previous === null ? -1 : previous.indexOf(KEPT_MARKER);
  return at < 0 ? generated : `${generated.trimEnd()}\n\n${previous!.slice(at)}`;
}

// ---------------------------------------------------------------------------------------------------------
// the runner

/**
 * The config as it enters a run's cache key: budget fields zeroed; config fields added after runs were first
 * cached left out while at their defaults (identityOf), so a run made before they existed keeps its key.
 */
export function configKey(c: TrainConfig): Record<string, unknown> {
  // runs with a weight average cached before it warmed up (and kept the better of average and raw on dev) trained
  // otherwise: they get a new key
  return { ...identityOf(c), ...(c.ema ? { emaWarmup: 1 } : {}), epochs: 0, workers: 0, checkpointMinutes: 0 };
}

/** A short content key of a settings object (cache validity). */
function keyOf(x: unknown): string {
  return createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);
}

const readJson = <T>(p: string): T | undefined => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined);

interface CachedMetrics {
  key: string;
  budget: unknown;
  stoppedBy?: string;
  seconds: number;
  epochsRun?: number;
  best?: { epoch: number };
  test: { f32?: { consistency: EntityEvalReport; noConsistency: EntityEvalReport } } | null;
  crf?: { test: EntityEvalReport };
}

// Rates for the time estimate, measured on the 2-core build machine (shared with other jobs) and used until cached
// runs give better figures: the full model trains ~9,000 chars/s with 2 workers (25 s an epoch on CCKS 2017);
// word2vec (dim 50, window 4, 5 negatives) reads ~1.6 M tokens/s on one thread; the feature CRF takes ~2.5 s per
// L-BFGS iteration on the 211 k training characters (150 iterations ≈ 6 min).
const DEFAULT_RATE = 9000;
const W2V_RATE = 1.5e6;
const CRF_RATE = 8.5e4;

export async function runExperiments(opts: ExperimentOptions): Promise<ExperimentResults> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (!Array.isArray(opts.seeds) || opts.seeds.length === 0 || !opts.seeds.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new Error(`seeds: expected a non-empty list of integers ≥ 0, got ${JSON.stringify(opts.seeds)}`);
  }
  const names = opts.only && opts.only.length ? opts.only : VARIANTS.map((v) => v.name);
  const shown = ALL_VARIANTS.filter((v) => names.includes(v.name));
  const toRun = runsNeeded(names);
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });

  const file = loadRunConfig(opts.config ?? join(ROOT, 'configs', 'paper.json'));
  const pretrain: PretrainSettings = { ...file.pretrain, ...(opts.pretrainIterations ? { iterations: opts.pretrainIterations } : {}) };
  const base = resolveConfig({
    ...file.config,
    embeddings: {},
    ...(opts.epochs ? { epochs: opts.epochs } : {}),
    ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.split ? { split: opts.split } : {}),
  });
  const budget = { epochs: base.epochs, maxMinutes: opts.maxMinutes ?? null };
  const crfBudget = { optimizer: opts.crfOptimizer ?? 'lbfgs', iterations: opts.crfIterations ?? null };

  const { split } = await readSplit(opts.data, opts.format, base.split);
  // blocked-split runs live apart from the random split's (their keys differ too)
  const runsDir = base.split === 'random' ? out : join(out, `split-${base.split}`);
  if (split.test.length === 0 || split.dev.length === 0) throw new Error(`${opts.data}: too few records for a train/dev/test split`);
  const unlabeled = opts.unlabeled ? readUnlabeled(opts.unlabeled) : [];
  const dataKey = { data: resolve(opts.data), format: opts.format ?? null, unlabeled: opts.unlabeled ? resolve(opts.unlabeled) : null, train: split.manifest.train.records };
  const vecDir = join(out, 'vectors', keyOf({ ...dataKey, pretrain }));
  const trainChars = split.train.reduce((a, d) => a + d.text.length, 0);
  const texts = [...split.train.map((d) => d.text), ...unlabeled];
  const textChars = texts.reduce((a, t) => a + t.length, 0);

  // ---- the plan ----
  interface Planned { variant: VariantSpec; seed: number; dir: string; key: string; config: TrainConfig; segmenter: SegdictVariant; cached: boolean }
  const plan: Planned[] = [];
  const vectorsWanted = new Map<string, { kind: 'char' | 'word' | 'bigram'; dim: number; segmenter?: SegdictVariant; lexicon?: string; path: string }>();
  for (const v of toRun) {
    const segmenter = v.segmenter ?? 'jieba+entities';
    let config = resolveConfig({ ...base, ...(v.override ?? {}) });
    if (v.kind === 'neural' && v.pretrained !== false) {
      const emb: TrainConfig['embeddings'] = {};
      if (config.charDim > 0) {
        emb.char = join(vecDir, `char-d${config.charDim}.vec`);
        vectorsWanted.set(emb.char, { kind: 'char', dim: config.charDim, path: emb.char });
      }
      if (config.wordDim > 0) {
        // 'none' cuts every character into its own word: its word vectors are the character vectors
        // outside segmenter words (config.segmenterLexicon) change the cut, so the word vectors too
        const lexicon = config.segmenterLexicon;
        const words = `word-${segmenter}${lexicon ? `+${basename(lexicon).replace(/\.[^.]*$/, '')}` : ''}`;
        emb.word = segmenter === 'none' ? join(vecDir, `char-d${config.wordDim}.vec`) : join(vecDir, `${words}-d${config.wordDim}.vec`);
        vectorsWanted.set(emb.word, segmenter === 'none' ? { kind: 'char', dim: config.wordDim, path: emb.word } : { kind: 'word', dim: config.wordDim, segmenter, lexicon, path: emb.word });
      }
      if (config.bigramDim > 0) {
        emb.bigram = join(vecDir, `bigram-d${config.bigramDim}.vec`);
        vectorsWanted.set(emb.bigram, { kind: 'bigram', dim: config.bigramDim, path: emb.bigram });
      }
      config = resolveConfig({ ...config, embeddings: emb });
    }
    for (const seed of opts.seeds) {
      const dir = join(runsDir, v.name, `seed-${seed}`);
      const c = v.kind === 'neural' ? resolveConfig({ ...config, seed }) : config;
      const key = keyOf(v.kind === 'crf' ? { kind: 'crf', dataKey, seed } : { kind: v.kind, dataKey, segmenter, pretrained: v.pretrained !== false, pretrain, config: configKey(c) });
      const m = readJson<CachedMetrics>(join(dir, 'metrics.json'));
      const sameBudget = JSON.stringify(m?.budget) === JSON.stringify(v.kind === 'crf' ? crfBudget : budget);
      const cached = !!m && m.key === key && (sameBudget || m.stoppedBy === 'patience');
      plan.push({ variant: v, seed, dir, key, config: c, segmenter, cached });
    }
  }

  // seed-major: every variant's first seed before any second seed, so a run cut short leaves whole seeds
  plan.sort((a, b) => opts.seeds.indexOf(a.seed) - opts.seeds.indexOf(b.seed));

  // ---- the estimate ----
  const rates: number[] = [];
  for (const p of plan) {
    const s = readJson<RunSummary>(join(p.dir, 'summary.json'));
    const h = s?.history ?? [];
    const secs = h.reduce((a, x) => a + x.seconds, 0);
    if (secs > 0) rates.push((h.length * trainChars) / secs);
  }
  const rate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : DEFAULT_RATE;
  const epochSeconds = trainChars / rate;
  const neuralTodo = plan.filter((p) => !p.cached && p.variant.kind === 'neural');
  const crfTodo = plan.filter((p) => !p.cached && p.variant.kind === 'crf');
  const perRun = Math.min(base.epochs * epochSeconds, opts.maxMinutes ? opts.maxMinutes * 60 : Infinity);
  const vectorsTodo = [...vectorsWanted.values()].filter((w) => !existsSync(w.path));
  const crfIters = opts.crfIterations ?? (crfBudget.optimizer === 'lbfgs' ? 150 : 15);
  const estimate = neuralTodo.length * perRun + crfTodo.length * ((crfIters * trainChars) / CRF_RATE) + vectorsTodo.length * ((textChars * pretrain.iterations) / W2V_RATE);
  log(
    `experiments: ${shown.length} variants × ${opts.seeds.length} seed(s); ${plan.length} runs, ${plan.filter((p) => p.cached).length} cached.\n` +
      `  to do: ${neuralTodo.length} neural run(s) × ≤ ${minutes(perRun)} (≤ ${base.epochs} epochs × ~${minutes(epochSeconds)} at ~${Math.round(rate)} chars/s` +
      `${opts.maxMinutes ? `, capped at ${opts.maxMinutes} min` : ''}), ${crfTodo.length} CRF run(s), ${vectorsTodo.length} vector file(s) to pre-train.\n` +
      `  estimated total: ≤ ${minutes(estimate)} (an upper bound for the neural runs: early stopping usually ends them sooner)`,
  );
  const results: ExperimentResults = { rows: [], runs: [], trained: [], estimateSeconds: estimate, markdown: '', table: '' };
  if (opts.estimateOnly) return results;

  // ---- pre-trained vectors (seed-independent, cached) ----
  for (const w of vectorsWanted.values()) {
    if (existsSync(w.path)) continue;
    if (!plan.some((p) => !p.cached && Object.values(p.config.embeddings).includes(w.path))) continue;
    log(`vectors: ${relative(process.cwd(), w.path)}`);
    const seqs = w.kind === 'char'
      ? pretrainSequences(texts)
      : w.kind === 'bigram'
        ? bigramSequences(pretrainSequences(texts))
        : pretrainSequences(texts, createSegmenter(buildRunSegmenter(split.train, unlabeled, w.segmenter!, readLexiconWords(w.lexicon ?? ''))));
    await pretrainVectors(seqs, w.dim, pretrain, w.path, log);
  }

  // ---- the runs ----
  const scores = new Map<string, Map<number, RunScores>>();
  const put = (name: string, seed: number, s: RunScores) => {
    if (!scores.has(name)) scores.set(name, new Map());
    scores.get(name)!.set(seed, s);
  };
  const metricsOf = new Map<string, CachedMetrics>();
  for (const p of plan) {
    const mPath = join(p.dir, 'metrics.json');
    const tag = `[${p.variant.name} seed ${p.seed}]`;
    if (!p.cached) {
      const runInfo = readJson<{ key: string }>(join(p.dir, 'run.json'));
      if (runInfo && runInfo.key !== p.key) {
        log(`${tag} settings changed since the cached run: starting over`);
        rmSync(p.dir, { recursive: true, force: true });
      }
      mkdirSync(p.dir, { recursive: true });
      writeFileSync(join(p.dir, 'run.json'), JSON.stringify({ key: p.key, variant: p.variant.name, seed: p.seed }));
      const t0 = performance.now();
      if (p.variant.kind === 'crf') {
        log(`${tag} feature CRF (${crfBudget.optimizer})`);
        const r = runFeatureCrfExperiment({
          train: split.train, dev: split.dev, test: split.test, seed: p.seed,
          options: { optimizer: crfBudget.optimizer, ...(opts.crfIterations ? { maxIterations: opts.crfIterations } : {}), log: (l) => log(`${tag} ${l}`) },
        });
        const m = { key: p.key, budget: crfBudget, variant: p.variant.name, seed: p.seed, seconds: (performance.now() - t0) / 1000, info: r.info, crf: { test: r.reports.test, dev: r.reports.dev }, test: null };
        writeFileSync(mPath, JSON.stringify(m, null, 1));
      } else {
        log(`${tag} training (${p.segmenter}, ${JSON.stringify({ crf: p.config.crf, charDim: p.config.charDim, dropout: p.config.dropout, pretrained: p.variant.pretrained !== false })})`);
        const summary = await runTraining({
          data: opts.data, format: opts.format, out: p.dir, config: p.config, maxMinutes: opts.maxMinutes,
          resume: existsSync(join(p.dir, 'checkpoint.bin')), unlabeled: opts.unlabeled, segmenter: p.segmenter,
          evaluate: true, log: (l) => log(`${tag} ${l}`), progress: opts.progress,
        });
        writeFileSync(mPath, JSON.stringify(metricsJson(summary, { key: p.key, budget, variant: p.variant.name, seed: p.seed }), null, 1));
      }
      results.trained.push(p.dir);
    }
    const m = readJson<CachedMetrics>(mPath)!;
    metricsOf.set(`${p.variant.name}/${p.seed}`, m);
    results.runs.push({ variant: p.variant.name, seed: p.seed, dir: p.dir, cached: p.cached, seconds: m.seconds, epochsRun: m.epochsRun, bestEpoch: m.best?.epoch, stoppedBy: m.stoppedBy });
  }
  for (const v of shown) {
    const source = v.kind === 'alias' ? v.sameAs! : v.name;
    for (const seed of opts.seeds) {
      const m = metricsOf.get(`${source}/${seed}`);
      if (!m) continue;
      if (m.crf) put(v.name, seed, scoresOf(m.crf.test));
      else if (m.test?.f32) put(v.name, seed, scoresOf(v.consistency === false ? m.test.f32.noConsistency : m.test.f32.consistency));
    }
  }

  // ---- the report ----
  results.rows = aggregate(shown, scores);
  results.table = textTable(results.rows);
  const ctx: ReportContext = {
    data: opts.data, unlabeled: opts.unlabeled, seeds: opts.seeds, epochs: base.epochs, patience: base.patience, maxMinutes: opts.maxMinutes,
    workers: base.workers, pretrain, crf: { optimizer: crfBudget.optimizer, iterations: opts.crfIterations },
    split: { train: split.manifest.train.records.length, dev: split.manifest.dev.records.length, test: split.manifest.test.records.length, testDocs: split.test.length },
  };
  results.markdown = experimentsMarkdown(results.rows, results.runs, ctx);
  const docsPath = opts.docsPath === undefined ? join(ROOT, 'docs', 'experiments.md') : opts.docsPath;
  if (docsPath) {
    writeFileSync(docsPath, keepHandMeasured(existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : null, results.markdown));
    log(`wrote ${relative(process.cwd(), docsPath)}`);
  }
  const readmePath = opts.readmePath === undefined ? join(ROOT, 'README.md') : opts.readmePath;
  if (readmePath && existsSync(readmePath)) {
    const next = replaceBetweenMarkers(readFileSync(readmePath, 'utf8'), `${markdownTable(results.rows)}\n\nDocument-level micro F1 on the CCKS 2017 test split, mean ± std over seeds ${opts.seeds.join(', ')}; details in [docs/experiments.md](docs/experiments.md).`);
    if (next === null) log(`${relative(process.cwd(), readmePath)}: no experiments markers, left alone`);
    else {
      writeFileSync(readmePath, next);
      log(`updated the experiments table in ${relative(process.cwd(), readmePath)}`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// command line

const DEFAULT_DATA = '../shared/data/ccks2017/train';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string', default: DEFAULT_DATA },
      unlabeled: { type: 'string', default: '../shared/data/unlabeled/clinical-unlabeled.txt' },
      out: { type: 'string', default: 'runs/experiments' },
      config: { type: 'string' },
      format: { type: 'string' },
      seeds: { type: 'string', default: '1,2,3' },
      epochs: { type: 'string' },
      'max-minutes': { type: 'string' },
      workers: { type: 'string' },
      only: { type: 'string' },
      'pretrain-iterations': { type: 'string' },
      'crf-optimizer': { type: 'string' },
      'crf-iterations': { type: 'string' },
      estimate: { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      'write-docs': { type: 'boolean' },
      split: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: tsx scripts/experiments.ts [--seeds 1,2,3] [--epochs N] [--max-minutes N] [--only NAME,...] [--out DIR]
       [--data DIR] [--unlabeled FILE] [--config FILE] [--format FMT] [--workers N] [--pretrain-iterations N]
       [--crf-optimizer lbfgs|adagrad] [--crf-iterations N] [--estimate] [--no-docs | --write-docs] [--split random|blocked]
variants: ${VARIANTS.map((v) => v.name).join(', ')}
`);
    return 0;
  }
  const int = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const seeds = values.seeds!.split(',').map((s) => int('seeds', s.trim(), 0)!);
  if (values.format !== undefined && !isCorpusFormat(values.format)) throw new Error(`--format: unknown format ${JSON.stringify(values.format)}`);
  const opt = values['crf-optimizer'];
  if (opt !== undefined && opt !== 'lbfgs' && opt !== 'adagrad') throw new Error(`--crf-optimizer: expected lbfgs or adagrad, got ${JSON.stringify(opt)}`);
  if (!existsSync(values.data!)) throw new Error(`--data: ${values.data} does not exist`);
  let unlabeled: string | undefined = values.unlabeled;
  if (unlabeled && !existsSync(unlabeled)) {
    process.stderr.write(`warning: --unlabeled ${unlabeled} does not exist: pre-training on the train split only\n`);
    unlabeled = undefined;
  }
  const mm = values['max-minutes'] === undefined ? undefined : Number(values['max-minutes']);
  if (mm !== undefined && !(mm > 0)) throw new Error(`--max-minutes: expected a positive number, got ${JSON.stringify(values['max-minutes'])}`);
  // the report speaks for CCKS 2017: it is written for the default data, or on request
  const split = values.split ?? 'random';
  if (!isSplitMode(split)) throw new Error(`--split: expected ${SPLIT_MODES.join(' or ')}, got ${JSON.stringify(split)}`);
  const writeDocs = !values['no-docs'] && (values['write-docs'] === true || (resolve(values.data!) === resolve(DEFAULT_DATA) && split === 'random'));
  if (!writeDocs && !values.estimate) process.stderr.write('note: docs/experiments.md and README.md are left alone (other data, --split blocked or --no-docs; --write-docs forces them)\n');
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  if (only) runsNeeded(only); // validates the names
  const r = await runExperiments({
    data: values.data!, unlabeled, out: values.out!, config: values.config, format: values.format as CorpusFormat | undefined,
    seeds, epochs: int('epochs', values.epochs, 1), maxMinutes: mm, workers: int('workers', values.workers, 1), only,
    pretrainIterations: int('pretrain-iterations', values['pretrain-iterations'], 1), crfOptimizer: opt as 'lbfgs' | 'adagrad' | undefined,
    crfIterations: int('crf-iterations', values['crf-iterations'], 1), estimateOnly: values.estimate, split,
    ...(writeDocs ? {} : { docsPath: null, readmePath: null }),
  });
  if (!values.estimate) process.stdout.write(`${r.table}\n(${r.trained.length} run(s) trained now, ${r.runs.filter((x) => x.cached).length} from the cache)\n`);
  return 0;
}

runIfMain(import.meta.url, 'experiments', main);
