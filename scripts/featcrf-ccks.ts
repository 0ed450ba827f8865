/**
 * Trains and scores the feature-CRF baseline on a corpus split by record (src/corpus/split.ts).
 *
 *   npx tsx scripts/featcrf-ccks.ts <corpus path> [--seed N] [--split-seed N] [--iterations N]
 *       [--l2 X] [--no-gazetteer] [--folds N] [--min-count N] [--optimizer lbfgs|adagrad]
 *       [--segment jieba] [--save model.json.gz] [--json out.json]
 *
 * Prints progress (numbers only) and the strict / relaxed scores on dev and test.
 */
import { writeFileSync } from 'node:fs';
import { recordIdOf, looksLikeCcksIds, splitByRecord, DEFAULT_SEED } from '../src/corpus/split.js';
import { readCorpus } from '../src/io/corpus-io.js';
import { createSegmenter } from '../src/segment/segmenter.js';
import { buildSegmenterSpec } from '../src/train/segdict.js';
import { runFeatureCrfExperiment, type Prf } from './featcrf/experiment.js';
import type { FeatureCrfOptions } from './featcrf/model.js';

function parseArgs(argv: string[]): { path: string; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  let path = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const boolean = a === '--no-gazetteer';
      flags.set(a.slice(2), boolean ? 'true' : (argv[++i] ?? ''));
    } else path = a;
  }
  if (!path) throw new Error('usage: featcrf-ccks.ts <corpus path> [options] (see the file header)');
  return { path, flags };
}

const fmt = (p: Prf) => `P ${(100 * p.p).toFixed(2)}  R ${(100 * p.r).toFixed(2)}  F1 ${(100 * p.f1).toFixed(2)}`;

async function main(): Promise<void> {
  const { path, flags } = parseArgs(process.argv.slice(2));
  const num = (k: string, d?: number) => (flags.has(k) ? Number(flags.get(k)) : d);
  const { docs } = await readCorpus(path);
  const split = splitByRecord(docs, {
    seed: num('split-seed', DEFAULT_SEED),
    recordKey: looksLikeCcksIds(docs) ? recordIdOf : undefined,
  });
  const chars = (ds: typeof docs) => ds.reduce((s, d) => s + d.text.length, 0);
  console.log(
    `split seed ${split.manifest.seed} (${split.manifest.recordKey}): train ${split.train.length} docs / ${chars(split.train)} chars, ` +
      `dev ${split.dev.length} / ${chars(split.dev)}, test ${split.test.length} / ${chars(split.test)}`,
  );
  const options: Omit<FeatureCrfOptions, 'seed'> = {
    log: (l) => console.log(l),
    maxIterations: num('iterations'),
    l2: num('l2'),
    gazetteer: !flags.has('no-gazetteer'),
    gazetteerFolds: num('folds'),
    minFeatureCount: num('min-count'),
    optimizer: flags.get('optimizer') as FeatureCrfOptions['optimizer'],
  };
  if (flags.get('segment') === 'jieba') {
    // jieba's full dictionary (this baseline is measured, not shipped)
    const { spec } = buildSegmenterSpec({ variant: 'jieba', texts: [], prune: false });
    options.segment = createSegmenter(spec);
  } else if (flags.has('segment')) throw new Error(`--segment: expected 'jieba', got '${flags.get('segment')}'`);

  const r = runFeatureCrfExperiment({ ...split, seed: num('seed', 1)!, options });
  console.log(
    `trained in ${r.info.trainSeconds.toFixed(1)} s (${r.info.iterations} iterations, kept ${r.info.bestIteration}); test tagged in ${r.predictSeconds.toFixed(2)} s`,
  );
  for (const [name, s] of [
    ['dev', r.dev],
    ['test', r],
  ] as const) {
    console.log(`${name} strict  ${fmt(s.strict)}`);
    console.log(`${name} relaxed ${fmt(s.relaxed)}`);
    for (const [t, v] of Object.entries(s.perType))
      console.log(`${name}   ${t.padEnd(10)} strict ${fmt(v.strict)} | relaxed ${fmt(v.relaxed)}`);
  }
  if (flags.has('save')) r.model.save(flags.get('save')!);
  if (flags.has('json')) {
    writeFileSync(
      flags.get('json')!,
      JSON.stringify(
        {
          split: split.manifest,
          info: r.info,
          dev: r.dev,
          test: { strict: r.strict, relaxed: r.relaxed, perType: r.perType },
        },
        null,
        1,
      ),
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
