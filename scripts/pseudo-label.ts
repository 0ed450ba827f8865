/**
 * `npm run pseudo-label`: labels unlabeled clinical text with a vote of trained models (a teacher ensemble) and
 * writes it as JSON Lines, for a student run's config.extraTrain (self-training / knowledge distillation).
 *
 *   tsx scripts/pseudo-label.ts --unlabeled ../shared/data/unlabeled/clinical-unlabeled.txt --out runs/pseudo.jsonl
 *       [--chars 400000] [--seed 2026] [--min-votes N] teacher1.cner teacher2.cner ...
 *
 * - Texts: the unlabeled file's lines (one record section each), duplicates dropped, shuffled with --seed, taken
 *   until --chars characters. The unlabeled file must not hold evaluation text (../shared/data/README.md: sentences
 *   found verbatim in any evaluation text were removed from it).
 * - Labels: every teacher tags every text (the tagger, consistency check on); a span (exact start, end and type)
 *   is kept when at least --min-votes teachers predict it (default: a majority); overlapping kept spans are
 *   resolved earlier-then-longer first (dropOverlaps).
 * - Teachers must share one label set. Nothing of the texts is printed: counts only.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Doc } from '../src/corpus/document.js';
import { type Predictions, dropOverlaps, voteSpans } from '../src/eval/index.js';
import { Rng } from '../src/train/rng.js';
import { readUnlabeled } from '../src/train/run.js';
import { predict } from './agreement.js';
import { runIfMain } from './run-main.js';

/** Up to `chars` characters of distinct texts, in an order shuffled by `seed` (whole texts; at least one). */
export function sampleTexts(lines: readonly string[], chars: number, seed: number): string[] {
  if (!(Number.isFinite(chars) && chars > 0)) throw new Error(`sampleTexts: chars must be > 0, got ${chars}`);
  const distinct = [...new Set(lines.filter((l) => l.length > 0))];
  const order = new Rng(seed).shuffle(distinct.map((_, i) => i));
  const out: string[] = [];
  let n = 0;
  for (const i of order) {
    if (n >= chars) break;
    out.push(distinct[i]);
    n += distinct[i].length;
  }
  return out;
}

/** Documents `<prefix>-<n>` of `texts`, each labelled with the spans at least `minVotes` of the teachers predict (no overlaps). */
export function labelByVote(texts: readonly string[], teachers: readonly Predictions[], minVotes: number, prefix = 'pseudo'): Doc[] {
  teachers.forEach((t, i) => {
    if (t.length !== texts.length) throw new Error(`labelByVote: teacher ${i} labelled ${t.length} texts, expected ${texts.length}`);
  });
  const voted = voteSpans(teachers, minVotes);
  return texts.map((text, i) => ({ id: `${prefix}-${i + 1}`, text, entities: dropOverlaps(voted[i]) }));
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      unlabeled: { type: 'string', default: '../shared/data/unlabeled/clinical-unlabeled.txt' },
      out: { type: 'string' },
      chars: { type: 'string', default: '400000' },
      seed: { type: 'string', default: '2026' },
      'min-votes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const usage = 'usage: tsx scripts/pseudo-label.ts --out FILE.jsonl [--unlabeled FILE] [--chars N] [--seed N] [--min-votes N] teacher.cner ...';
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (!values.out) throw new Error(`--out is required\n${usage}`);
  if (positionals.length === 0) throw new Error(`name at least one teacher model file\n${usage}`);
  const chars = Number(values.chars);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${JSON.stringify(values.seed)}`);
  const minVotes = values['min-votes'] === undefined ? Math.floor(positionals.length / 2) + 1 : Number(values['min-votes']);
  const texts = sampleTexts(readUnlabeled(values.unlabeled!), chars, seed);
  const teachers: Predictions[] = [];
  let labels: string | undefined;
  for (const f of positionals) {
    const { pred, types } = await predict(f, texts);
    const l = JSON.stringify(types.sort());
    if (labels !== undefined && l !== labels) throw new Error(`${f}: its entity types ${l} differ from the first teacher's ${labels}`);
    labels = l;
    teachers.push(pred);
    process.stderr.write(`teacher ${teachers.length}/${positionals.length} done\n`);
  }
  const docs = labelByVote(texts, teachers, minVotes);
  writeFileSync(values.out, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const n = texts.reduce((s, t) => s + t.length, 0);
  process.stderr.write(`${docs.length} texts, ${n} characters, ${docs.reduce((s, d) => s + d.entities.length, 0)} entities (≥ ${minVotes} of ${teachers.length} teachers) → ${values.out}\n`);
  return 0;
}

runIfMain(import.meta.url, 'pseudo-label', main);
