/**
 * `npm run agreement`: how far the test annotation lets any tagger go. Several trained models (by default every
 * BiLSTM model `npm run experiments` left in runs/experiments) tag the test split; their agreement with each other
 * and with the gold annotation bounds what a better model of this family could reach:
 *
 * - each model's strict and relaxed figures (the tagger on whole documents, consistency check on);
 * - a majority vote (spans with type that more than half the models predict) and the unanimous spans;
 * - the union of all predictions: its relaxed RECALL is the share of gold entities some model finds;
 * - the unanimous spans' relaxed PRECISION: even spans every model agrees on are missing from the gold annotation
 *   this often;
 * - gold entities no model finds and unanimous spans the gold annotation lacks, by how often the TRAINING
 *   records annotate the same string where it occurs (never seen / rarely / mostly annotated);
 * - how the errors of the vote are spread over the test records.
 *
 *   tsx scripts/agreement.ts [--data ../shared/data/ccks2017/train] [--models runs/experiments] [--only default,seg-jieba]
 *       [--reference models/default.cner] [--out docs/agreement.md] [model.cner ...]
 *
 * --only keeps the experiment variants named (folders under --models); model files named on the command line replace
 * the search. --reference names the model whose errors are bucketed (default: the best of the models).
 *
 * Counts and record ids only: no clinical text is printed or written.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Doc, EntitySpan } from '../src/corpus/document.js';
import { looksLikeCcksIds, recordIdOf } from '../src/corpus/index.js';
import { type EntityEvalReport, type Predictions, evaluateEntities, relaxedErrors, voteSpans } from '../src/eval/index.js';
import { createTagger } from '../src/tagger.js';
import { readSplit } from '../src/train/run.js';
import { ROOT } from './train-default.js';
import { runIfMain } from './run-main.js';

/**
 * How often the documents annotate each entity string where it occurs: annotated = entities with that string,
 * occurrences = places the string occurs in the texts (overlapping occurrences counted).
 */
export function annotationRates(docs: readonly Doc[]): Map<string, { annotated: number; occurrences: number }> {
  const rates = new Map<string, { annotated: number; occurrences: number }>();
  for (const d of docs) {
    for (const e of d.entities) {
      const s = d.text.slice(e.start, e.end);
      const r = rates.get(s);
      if (r) r.annotated++;
      else rates.set(s, { annotated: 1, occurrences: 0 });
    }
  }
  for (const d of docs) {
    for (const [s, r] of rates) {
      for (let i = d.text.indexOf(s); i >= 0; i = d.text.indexOf(s, i + 1)) r.occurrences++;
    }
  }
  return rates;
}

export type RateBucket = 'never annotated in training' | 'annotated in < 30 % of its training occurrences' | 'annotated in 30–70 %' | 'annotated in > 70 %';
export const RATE_BUCKETS: readonly RateBucket[] = ['never annotated in training', 'annotated in < 30 % of its training occurrences', 'annotated in 30–70 %', 'annotated in > 70 %'];

export function rateBucket(rates: Map<string, { annotated: number; occurrences: number }>, s: string): RateBucket {
  const r = rates.get(s);
  if (!r) return 'never annotated in training';
  const f = r.annotated / Math.max(r.annotated, r.occurrences);
  return f < 0.3 ? 'annotated in < 30 % of its training occurrences' : f <= 0.7 ? 'annotated in 30–70 %' : 'annotated in > 70 %';
}

/** A model file's predictions for `texts` (the tagger, consistency check on), and its entity types. */
let kernelBytes: Buffer | undefined;
export async function predict(modelPath: string, texts: readonly string[]): Promise<{ pred: Predictions; types: string[] }> {
  kernelBytes ??= readFileSync(join(ROOT, 'build', 'kernels.wasm')); // read once for every model
  const tagger = await createTagger({ model: readFileSync(modelPath), kernels: kernelBytes });
  const pred = tagger.tagMany([...texts], { scores: false }).map((r) => r.entities.map((e) => ({ start: e.start, end: e.end, type: e.type })));
  return { pred, types: [...tagger.info.types] };
}

/** Model files under `dir` (…/<variant>/seed-<n>/model.q8.cner), sorted; the feature CRF baseline has none. */
export function findModels(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const v of readdirSync(dir).sort()) {
    const vd = join(dir, v);
    if (!statSync(vd).isDirectory()) continue;
    for (const s of readdirSync(vd).sort()) {
      const f = join(vd, s, 'model.q8.cner');
      if (/^seed-\d+$/.test(s) && existsSync(f)) out.push(f);
    }
  }
  return out;
}

const pct = (x: number) => (100 * x).toFixed(2);
/** A markdown table: the first row is the header; columns after the first are right-aligned (numbers). */
const mdTable = (rows: readonly (readonly string[])[]) =>
  [rows[0], rows[0].map((_, i) => (i === 0 ? '---' : '---:')), ...rows.slice(1)].map((r) => `| ${r.join(' | ')} |`).join('\n');
const asDocs = (gold: readonly Doc[], pred: Predictions): Doc[] => gold.map((g, i) => ({ id: g.id, text: g.text, entities: pred[i] }));

export interface AgreementReport {
  markdown: string;
  vote: EntityEvalReport;
  unanimous: EntityEvalReport;
  union: EntityEvalReport;
}

/** The analysis (see the file header) of `models` (name and predictions) on the test documents; rates from the training documents. */
export function agreementReport(
  test: readonly Doc[], trainDocs: readonly Doc[], models: readonly { name: string; pred: Predictions }[], command = 'npm run agreement',
  /** the model whose errors are bucketed (e.g. the shipped one); default: the models' best by relaxed F1 */
  reference?: { name: string; pred: Predictions },
): AgreementReport {
  if (models.length < 2) throw new Error(`agreement: needs at least 2 models, got ${models.length}`);
  const preds = models.map((m) => m.pred);
  const n = models.length;
  const majority = Math.floor(n / 2) + 1;
  const vote = voteSpans(preds, majority);
  const unanimous = voteSpans(preds, n);
  const union = voteSpans(preds, 1);
  const score = (p: Predictions) => evaluateEntities(test, asDocs(test, p), { pairBy: 'order' });
  const rows: string[][] = [['predictions', 'strict F1', 'relaxed P', 'relaxed R', 'relaxed F1']];
  const row = (name: string, r: EntityEvalReport) => [name, pct(r.strict.micro.f1), pct(r.relaxed.micro.precision), pct(r.relaxed.micro.recall), pct(r.relaxed.micro.f1)];
  const perModel = models.map((m) => score(m.pred));
  models.forEach((m, i) => rows.push(row(m.name, perModel[i])));
  const rv = score(vote);
  const ru = score(unanimous);
  const rn = score(union);
  rows.push(row(`**vote** (≥ ${majority} of ${n})`, rv), row(`**unanimous** (all ${n})`, ru), row(`**union** (any of ${n})`, rn));
  const bestRelaxed = Math.max(...perModel.map((r) => r.relaxed.micro.f1));

  const rates = annotationRates(trainDocs);
  const textOf = (d: number, e: EntitySpan) => test[d].text.slice(e.start, e.end);
  const bucketCounts = (items: { doc: number; e: EntitySpan }[]) => {
    const c = new Map<RateBucket, number>(RATE_BUCKETS.map((b) => [b, 0]));
    for (const it of items) {
      const b = rateBucket(rates, textOf(it.doc, it.e));
      c.set(b, c.get(b)! + 1);
    }
    return c;
  };
  const bestIndex = perModel.reduce((b, r, i) => (r.relaxed.micro.f1 > perModel[b].relaxed.micro.f1 ? i : b), 0);
  const ref = reference ?? models[bestIndex];
  const refReport = score(ref.pred);
  const bestErrors = relaxedErrors(test, ref.pred);
  const missedByAll = relaxedErrors(test, union).missed;
  const spuriousUnanimous = relaxedErrors(test, unanimous).spurious;
  const mb = bucketCounts(missedByAll);
  const sb = bucketCounts(spuriousUnanimous);
  const bm = bucketCounts(bestErrors.missed);
  const bs = bucketCounts(bestErrors.spurious);
  const bucketTable = mdTable([
    ['the string in training', 'gold entities no model finds', 'unanimous spans not in gold', `missed by ${ref.name}`, `spurious of ${ref.name}`],
    ...RATE_BUCKETS.map((b) => [b, String(mb.get(b)), String(sb.get(b)), String(bm.get(b)), String(bs.get(b))]),
    ['total', String(missedByAll.length), String(spuriousUnanimous.length), String(bestErrors.missed.length), String(bestErrors.spurious.length)],
  ]);
  // relaxed errors where the test annotation contradicts the training annotation: missed strings the training
  // records annotate in under 30 % of their occurrences, predicted strings they annotate in over 70 %
  const contradicting = bm.get(RATE_BUCKETS[1])! + bs.get(RATE_BUCKETS[3])!;
  const unseen = bm.get(RATE_BUCKETS[0])!;
  const bestTotal = bestErrors.missed.length + bestErrors.spurious.length;

  // the vote's relaxed errors per record
  const ve = relaxedErrors(test, vote);
  const recordOf = looksLikeCcksIds(test) ? recordIdOf : (d: Doc) => d.id;
  const perRecord = new Map<string, { gold: number; errors: number }>();
  test.forEach((d) => {
    const r = perRecord.get(recordOf(d)) ?? { gold: 0, errors: 0 };
    r.gold += d.entities.length;
    perRecord.set(recordOf(d), r);
  });
  for (const it of [...ve.missed, ...ve.spurious]) perRecord.get(recordOf(test[it.doc]))!.errors++;
  const ranked = [...perRecord].sort((a, b) => b[1].errors - a[1].errors || (a[0] < b[0] ? -1 : 1));
  const totalErrors = ve.missed.length + ve.spurious.length;
  const top = ranked.slice(0, 5);
  const topErrors = top.reduce((s, [, r]) => s + r.errors, 0);
  const topGold = top.reduce((s, [, r]) => s + r.gold, 0);
  const goldAll = test.reduce((s, d) => s + d.entities.length, 0);

  const markdown = `# How far the test annotation lets a tagger go

<!-- generated by scripts/agreement.ts — do not edit by hand -->

Made by \`${command}\`.

${n} trained models tag the ${test.length} test documents (${goldAll} gold entities; the tagger on whole documents,
int8, consistency check on). Strict = exact span and type; relaxed = overlapping span and same type.

${mdTable(rows)}

- The best single model reaches relaxed F1 ${pct(bestRelaxed)}; the majority vote ${pct(rv.relaxed.micro.f1)} (strict ${pct(rv.strict.micro.f1)}).
- **Recall bound:** ${pct(rn.relaxed.micro.recall)} % of the gold entities are found by at least one of the ${n} models;
  ${missedByAll.length} are found by none.
- **Precision bound:** of the ${ru.relaxed.micro.pred} spans that all ${n} models predict, ${spuriousUnanimous.length}
  (${pct(spuriousUnanimous.length / Math.max(1, ru.relaxed.micro.pred))} %) overlap no gold entity of their type: relaxed precision ${pct(ru.relaxed.micro.precision)}
  even where every model agrees.

## Where the disagreement comes from

How often the training records annotate the same string where it occurs:

${bucketTable}

${ref.name} (strict ${pct(refReport.strict.micro.f1)}, relaxed ${pct(refReport.relaxed.micro.f1)}${reference ? '' : ': the best of the models above'}): of its ${bestTotal} relaxed errors, ${contradicting} (${pct(contradicting / Math.max(1, bestTotal))} %) contradict the training annotation: gold
entities whose string the training records annotate in under 30 % of its occurrences, and predictions of strings
they annotate in over 70 %. A tagger that gets those right must disagree with its own training data. Another
${unseen} are gold entities whose string no training record annotates.

## Concentration by record

The vote's ${totalErrors} relaxed errors (missed + spurious) over the ${perRecord.size} test records: the 5 records with most
errors hold ${topErrors} of them (${pct(topErrors / Math.max(1, totalErrors))} %) and ${pct(topGold / Math.max(1, goldAll))} % of the gold entities.

${mdTable([['record', 'gold entities', 'relaxed errors of the vote'], ...top.map(([id, r]) => [id, String(r.gold), String(r.errors)])])}
`;
  return { markdown, vote: rv, unanimous: ru, union: rn };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string', default: '../shared/data/ccks2017/train' },
      models: { type: 'string', default: 'runs/experiments' },
      out: { type: 'string', default: join(ROOT, 'docs', 'agreement.md') },
      only: { type: 'string' },
      reference: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: tsx scripts/agreement.ts [--data DIR] [--models runs/experiments] [--only VARIANT,...] [--reference FILE] [--out docs/agreement.md] [model.cner ...]\n');
    return 0;
  }
  if (!existsSync(values.data!)) throw new Error(`--data: ${values.data} does not exist (the CCKS 2017 training folder; see ../shared/data/README.md)`);
  const only = values.only?.split(',').filter(Boolean);
  const files = positionals.length ? positionals : findModels(values.models!).filter((f) => !only || only.some((v) => f.split(/[\\/]/).includes(v)));
  if (files.length < 2) throw new Error(`need at least 2 model files (found ${files.length} under ${values.models}; run \`npm run experiments\` first, or name the files)`);
  const { split } = await readSplit(values.data!);
  const texts = split.test.map((d) => d.text);
  const models: { name: string; pred: Predictions }[] = [];
  for (const f of files) {
    const name = relative(resolve(values.models!), resolve(f)).startsWith('..') ? relative(process.cwd(), f) : relative(resolve(values.models!), resolve(f)).replace(/\/model\.q8\.cner$/, '');
    models.push({ name, pred: (await predict(f, texts)).pred });
    process.stderr.write(`tagged the test split with ${name}\n`);
  }
  const reference = values.reference ? { name: relative(process.cwd(), values.reference), pred: (await predict(values.reference, texts)).pred } : undefined;
  const report = agreementReport(split.test, split.train, models, `npm run agreement${argv.length ? ` -- ${argv.join(' ')}` : ''}`, reference);
  writeFileSync(values.out!, report.markdown);
  process.stdout.write(report.markdown);
  process.stderr.write(`wrote ${relative(process.cwd(), values.out!)}\n`);
  return 0;
}

runIfMain(import.meta.url, 'agreement', main);
