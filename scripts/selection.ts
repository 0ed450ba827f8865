/**
 * `npm run selection`: recipes compared over seeds, the way issue 16 asks (blocked split, int8, 3 seeds), and the
 * figures the shipped model's card states when it was refitted on every record (scripts/train-default.ts --selection).
 *
 *   tsx scripts/selection.ts [--data ../shared/data/ccks2017/train] [--json FILE] [--baseline NAME] NAME=DIR[,DIR...] ...
 *
 * Each DIR is a finished `cner train` run (DIR/model.q8.cner). Its header says which split trained it (random or
 * blocked), the seed, the best epoch and its dev F1; the int8 file is scored here on that split's test part
 * through the tagger (evaluateModel: whole documents, consistency check on), with seen / unseen entities counted
 * against that split's train part. Per NAME: mean ± sample standard deviation over its runs, and the difference of
 * the means from the baseline (the first NAME unless --baseline names another). The recipe to ship is the one with
 * the best mean dev F1 (dev is the part selection may look at; test is reported, never chosen on).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Doc } from '../src/corpus/document.js';
import { readModel } from '../src/model/format.js';
import type { SplitMode } from '../src/corpus/split.js';
import { evaluateModel } from '../src/train/evaluate.js';
import { readSplit } from '../src/train/run.js';
import { meanStd } from './stats.js';
import { runIfMain } from './run-main.js';

/** The figures of one run (percentages, int8, consistency on, the split's test part). */
export interface RunFigures {
  dir: string;
  split: SplitMode;
  seed: number;
  bestEpoch: number;
  devF1: number;
  strict: number;
  relaxed: number;
  seen: number;
  unseen: number;
  unseenPrecision: number;
  unseenRecall: number;
  perType: Record<string, number>;
  int8Bytes: number;
}

/** The numeric fields averaged per recipe. */
const FIELDS = ['devF1', 'strict', 'relaxed', 'seen', 'unseen', 'unseenPrecision', 'unseenRecall'] as const;
type Field = (typeof FIELDS)[number];

export interface RecipeFigures {
  name: string;
  split: SplitMode;
  runs: RunFigures[];
  mean: Record<Field, number> & { perType: Record<string, number> };
  /** sample standard deviation (n − 1); 0 for a single run */
  sd: Record<Field, number> & { perType: Record<string, number> };
}

export interface Selection {
  data: string;
  date: string;
  baseline: string;
  /** the recipe with the best mean dev F1 per split */
  chosen: Record<string, string>;
  recipes: RecipeFigures[];
}

const pct = (x: number) => 100 * x;

/** Scores one finished run directory on its own split's test part. */
export async function runFigures(
  dir: string,
  splits: (mode: SplitMode) => Promise<{ train: Doc[]; test: Doc[] }>,
): Promise<RunFigures> {
  const path = join(dir, 'model.q8.cner');
  const bytes = new Uint8Array(readFileSync(path));
  const training = readModel(bytes).header.training as
    | {
        seed?: number;
        epochs?: number;
        config?: { split?: SplitMode; trainOn?: string };
        metrics?: { dev?: { f1: number } };
      }
    | undefined;
  if (!training?.config) throw new Error(`${path}: the header has no training record (not a cner train run?)`);
  if (training.config.trainOn && training.config.trainOn !== 'train')
    throw new Error(`${path}: trained with trainOn ${training.config.trainOn}: no dev selection to compare`);
  const split = training.config.split ?? 'random';
  const dev = training.metrics?.dev?.f1;
  if (dev === undefined) throw new Error(`${path}: the header has no dev F1`);
  const parts = await splits(split);
  const e = await evaluateModel(bytes, parts.test, { train: parts.train });
  const r = e.withConsistency;
  const n = r.novelty!;
  const perType: Record<string, number> = {};
  for (const [t, s] of Object.entries(r.strict.perType)) perType[t] = pct(s.f1);
  return {
    dir,
    split,
    seed: training.seed ?? 0,
    bestEpoch: training.epochs ?? 0,
    devF1: pct(dev),
    strict: pct(r.strict.micro.f1),
    relaxed: pct(r.relaxed.micro.f1),
    seen: pct(n.seen.micro.f1),
    unseen: pct(n.unseen.micro.f1),
    unseenPrecision: pct(n.unseen.micro.precision),
    unseenRecall: pct(n.unseen.micro.recall),
    perType,
    int8Bytes: bytes.length,
  };
}

export function recipeFigures(name: string, runs: RunFigures[]): RecipeFigures {
  if (runs.length === 0) throw new Error(`${name}: no runs`);
  const splitsSeen = new Set(runs.map((r) => r.split));
  if (splitsSeen.size > 1)
    throw new Error(`${name}: its runs come from different splits (${[...splitsSeen].join(', ')})`);
  const mean = { perType: {} } as RecipeFigures['mean'];
  const sd = { perType: {} } as RecipeFigures['sd'];
  for (const f of FIELDS) ({ mean: mean[f], std: sd[f] } = meanStd(runs.map((r) => r[f])));
  for (const t of Object.keys(runs[0].perType)) {
    const m = meanStd(runs.map((r) => r.perType[t] ?? 0));
    mean.perType[t] = m.mean;
    sd.perType[t] = m.std;
  }
  return { name, split: runs[0].split, runs, mean, sd };
}

/** The recipe with the best mean dev F1, per split. */
export function chooseOnDev(recipes: readonly RecipeFigures[]): Record<string, string> {
  const chosen: Record<string, { name: string; dev: number }> = {};
  for (const r of recipes)
    if (!chosen[r.split] || r.mean.devF1 > chosen[r.split].dev) chosen[r.split] = { name: r.name, dev: r.mean.devF1 };
  return Object.fromEntries(Object.entries(chosen).map(([k, v]) => [k, v.name]));
}

const f2 = (x: number) => x.toFixed(2);
const pm = (m: number, s: number, n: number) => (n > 1 ? `${f2(m)} ± ${f2(s)}` : f2(m));
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;

/** The markdown table: one row per recipe, mean ± sd over its runs, and Δ of the means from the baseline. */
export function selectionTable(sel: Selection): string {
  const types = [...new Set(sel.recipes.flatMap((r) => Object.keys(r.mean.perType)))].sort();
  const base = sel.recipes.find((r) => r.name === sel.baseline);
  const head = [
    'recipe',
    'split',
    'seeds',
    'best epochs',
    'dev F1',
    'strict',
    'Δ strict',
    'relaxed',
    'seen',
    'unseen (P / R)',
    'Δ unseen',
    ...types,
    'int8 KiB',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 4 ? '---' : '---:')).join('|')}|`];
  for (const r of sel.recipes) {
    const n = r.runs.length;
    const b = base && base.split === r.split ? base : undefined;
    const chosen = sel.chosen[r.split] === r.name;
    lines.push(
      `| ${chosen ? `**${r.name}**` : r.name} | ${r.split} | ${r.runs.map((x) => x.seed).join(', ')} | ${r.runs.map((x) => x.bestEpoch).join(', ')} | ${pm(r.mean.devF1, r.sd.devF1, n)} | ${pm(r.mean.strict, r.sd.strict, n)} | ${b ? signed(r.mean.strict - b.mean.strict) : '–'} | ${pm(r.mean.relaxed, r.sd.relaxed, n)} | ${pm(r.mean.seen, r.sd.seen, n)} | ${pm(r.mean.unseen, r.sd.unseen, n)} (${f2(r.mean.unseenPrecision)} / ${f2(r.mean.unseenRecall)}) | ${b ? signed(r.mean.unseen - b.mean.unseen) : '–'} | ${types.map((t) => `${f2(r.mean.perType[t] ?? 0)}${b ? ` (${signed((r.mean.perType[t] ?? 0) - (b.mean.perType[t] ?? 0))})` : ''}`).join(' | ')} | ${Math.round(meanStd(r.runs.map((x) => x.int8Bytes)).mean / 1024)} |`,
    );
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string', default: '../shared/data/ccks2017/train' },
      json: { type: 'string' },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(
      'usage: tsx scripts/selection.ts [--data DIR] [--json FILE] [--baseline NAME] NAME=DIR[,DIR...] ...\n(see the file header)\n',
    );
    return values.help ? 0 : 2;
  }
  const cache = new Map<SplitMode, Promise<{ train: Doc[]; test: Doc[] }>>();
  const splits = (mode: SplitMode) => {
    if (!cache.has(mode))
      cache.set(
        mode,
        readSplit(values.data!, undefined, mode).then(({ split }) => split),
      );
    return cache.get(mode)!;
  };
  const recipes: RecipeFigures[] = [];
  for (const arg of positionals) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`expected NAME=DIR[,DIR...], got ${JSON.stringify(arg)}`);
    const name = arg.slice(0, eq);
    const runs: RunFigures[] = [];
    for (const dir of arg
      .slice(eq + 1)
      .split(',')
      .filter(Boolean)) {
      runs.push(await runFigures(dir, splits));
      process.stderr.write(`${name}: ${dir} scored\n`);
    }
    recipes.push(recipeFigures(name, runs));
  }
  const baseline = values.baseline ?? recipes[0].name;
  if (!recipes.some((r) => r.name === baseline)) throw new Error(`--baseline ${baseline}: no such recipe`);
  const sel: Selection = {
    data: values.data!,
    date: new Date().toISOString(),
    baseline,
    chosen: chooseOnDev(recipes),
    recipes,
  };
  process.stdout.write(
    `${selectionTable(sel)}\n\nchosen on dev: ${Object.entries(sel.chosen)
      .map(([s, n]) => `${s} → ${n}`)
      .join(', ')}\n`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify(sel, null, 1));
  return 0;
}

runIfMain(import.meta.url, 'selection', main);
