/**
 * A bare training run from the command line (src/train/run.ts: runTraining), without `cner train`'s config
 * handling and printing.
 *
 *   npx tsx scripts/train-run.ts --data ../shared/data/ccks2017/train --out /work/runs/ccks-1 \
 *     [--config train.json] [--format ccks] [--max-minutes 15] [--workers 2] [--epochs N] [--resume]
 *     [--char-emb chars.w2v.txt] [--word-emb words.w2v.txt] [--unlabeled file.txt] [--segmenter jieba+entities]
 *     [--seed N] [--no-pretrain] [--evaluate]
 *
 * With `evaluate`, the best model (f32 and int8) is also scored on the whole test documents (see run.ts).
 */

import { CORPUS_FORMATS, type CorpusFormat, isCorpusFormat } from '../src/corpus/index.js';
import { type TrainConfig, loadConfig, resolveConfig } from '../src/train/config.js';
import { type RunOptions, runTraining } from '../src/train/run.js';
import type { SegdictVariant } from '../src/train/segdict.js';

function parseArgs(argv: string[]): RunOptions {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const data = get('data');
  const out = get('out');
  if (!data || !out)
    throw new Error(
      'usage: train-run.ts --data <corpus> --out <folder> [--config f.json] [--format ccks] [--max-minutes N] [--workers N] [--epochs N] [--resume]',
    );
  const fmt = get('format');
  if (fmt !== undefined && !isCorpusFormat(fmt))
    throw new Error(`--format: expected one of ${CORPUS_FORMATS.join(', ')}, got ${fmt}`);
  const cfgPath = get('config');
  let config = cfgPath ? loadConfig(cfgPath) : resolveConfig();
  const over: Partial<TrainConfig> = {};
  if (get('workers')) over.workers = Number(get('workers'));
  if (get('epochs')) over.epochs = Number(get('epochs'));
  if (get('seed')) over.seed = Number(get('seed'));
  if (argv.includes('--no-pretrain')) over.embeddings = {};
  if (get('char-emb')) over.embeddings = { ...(over.embeddings ?? config.embeddings), char: get('char-emb') };
  if (get('word-emb')) over.embeddings = { ...(over.embeddings ?? config.embeddings), word: get('word-emb') };
  if (get('bigram-emb')) over.embeddings = { ...(over.embeddings ?? config.embeddings), bigram: get('bigram-emb') };
  config = resolveConfig({ ...config, ...over });
  return {
    data,
    out,
    format: fmt as CorpusFormat | undefined,
    config,
    maxMinutes: get('max-minutes') ? Number(get('max-minutes')) : undefined,
    resume: argv.includes('--resume'),
    unlabeled: get('unlabeled'),
    segmenter: get('segmenter') as SegdictVariant | undefined,
    evaluate: argv.includes('--evaluate'),
  };
}

runTraining(parseArgs(process.argv.slice(2))).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
