/**
 * The trainer of the packed GPU run (issue 15, point 4): scripts/gpu-pack.ts bundles this file (with esbuild) into
 * the pack, and the pack's run.sh runs it with the unpacked Node. It trains the default recipe with
 * scripts/train-default.ts's trainDefault (segmenter, word2vec pre-training, training, test evaluation, model card)
 * on the pack's config (whose "backend" is webgpu unless packed otherwise), then writes a timing report.
 *
 *   node run.mjs PACK_DIR WORK_DIR OUT_DIR [--epochs N] [--pretrain-iterations N] [--max-minutes N]
 *
 * PACK_DIR holds pack.json (what gpu-pack packed: config file, data and unlabeled paths, format); WORK_DIR the
 * unpacked data; OUT_DIR receives everything trainDefault writes (MODEL_CARD.md, metrics.json, timing.json,
 * train/model.cner, train/model.q8.cner, train/curve.json, train/curve.svg, train/summary.json, vectors/) and
 * report.json + report.md: wall time per phase, training chars/s and sentences/s per epoch, the backend and adapter.
 * Runnable from the sources too: tsx scripts/gpu-run.ts PACK_DIR WORK_DIR OUT_DIR.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CorpusFormat } from '../src/corpus/index.js';
import type { RunSummary } from '../src/train/run.js';
import { CCKS2017, type CorpusInfo, trainDefault } from './train-default.js';
import { runIfMain } from './run-main.js';

/** What scripts/gpu-pack.ts writes as pack.json: paths relative to the pack (config) or to the unpacked data (data, unlabeled). */
export interface PackManifest {
  config: string;
  data: string;
  unlabeled: string | null;
  format: CorpusFormat | null;
  /** the backend the packed config names */
  backend: string;
  created: string;
  /** what travels, with sizes */
  files: Record<string, number>;
}

/** Throughput of one epoch's training part (forward, backward and update; dev decoding excluded). */
export interface EpochSpeed {
  epoch: number;
  trainSeconds: number;
  charsPerSec: number;
  sentencesPerSec: number;
  loss: number;
  devF1: number;
}

export interface GpuRunReport {
  backend: RunSummary['backend'];
  node: string;
  platform: string;
  cpus: string;
  /** wall-clock seconds: unpacking (from run.sh), each trainDefault phase, and the whole run */
  seconds: Record<string, number>;
  epochs: EpochSpeed[];
  /** over all epochs: training characters / training seconds */
  charsPerSec: number;
  sentencesPerSec: number;
  /** mean training seconds of an epoch over the training split */
  secondsPerEpoch: number;
  best: RunSummary['best'];
  test: { strictF1: number; relaxedF1: number } | null;
  stoppedBy: string;
}

/** The report's figures from the run's summary and trainDefault's timing.json. */
export function gpuRunReport(
  summary: RunSummary,
  timing: Record<string, number>,
  extraSeconds: Record<string, number>,
): GpuRunReport {
  const sentences = (summary.data.train as { trainingSentences?: number }).trainingSentences ?? 0;
  // an epoch's training seconds: its characters over its training chars/s (EpochReport.seconds includes dev decoding)
  const epochs = summary.history.map((h) => {
    const trainSeconds = trainCharsOf(summary) / Math.max(1e-9, h.charsPerSec);
    return {
      epoch: h.epoch,
      trainSeconds,
      charsPerSec: h.charsPerSec,
      sentencesPerSec: sentences / trainSeconds,
      loss: h.loss,
      devF1: h.devF1,
    };
  });
  const trainSeconds = epochs.reduce((a, e) => a + e.trainSeconds, 0);
  const c = cpus();
  const ev = summary.evaluation?.int8.withConsistency;
  return {
    backend: summary.backend,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: `${c.length} × ${c[0]?.model ?? 'unknown'}`,
    seconds: { ...extraSeconds, ...timing },
    epochs,
    charsPerSec: (trainCharsOf(summary) * epochs.length) / Math.max(1e-9, trainSeconds),
    sentencesPerSec: (sentences * epochs.length) / Math.max(1e-9, trainSeconds),
    secondsPerEpoch: trainSeconds / Math.max(1, epochs.length),
    best: summary.best,
    test: ev ? { strictF1: ev.strict.micro.f1, relaxedF1: ev.relaxed.micro.f1 } : null,
    stoppedBy: summary.stoppedBy,
  };
}

/** Characters of the training sentences (one epoch). */
function trainCharsOf(summary: RunSummary): number {
  return (summary.data.train as { chars?: number }).chars ?? 0;
}

/** The report as Markdown. */
export function gpuRunMarkdown(r: GpuRunReport): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    '# Packed GPU run: timing report',
    '',
    `- backend: ${r.backend.name}${r.backend.note ? ` (${r.backend.note})` : ''}`,
    `- Node ${r.node}, ${r.platform}, ${r.cpus}`,
    `- training: ${Math.round(r.charsPerSec).toLocaleString('en-US')} chars/s, ${f(r.sentencesPerSec)} sentences/s, ${f(r.secondsPerEpoch, 2)} s per epoch over the training split (forward, backward, update; dev decoding excluded)`,
    `- best epoch ${r.best.epoch} (dev F1 ${f(r.best.devF1 * 100, 2)}), stopped by ${r.stoppedBy}; test (int8, documents, consistency on): ${r.test ? `strict F1 ${f(r.test.strictF1 * 100, 2)}, relaxed F1 ${f(r.test.relaxedF1 * 100, 2)}` : 'n/a'}`,
    '',
    '| phase | wall s |',
    '|---|---:|',
    ...Object.entries(r.seconds).map(([k, v]) => `| ${k} | ${f(v)} |`),
    '',
    '| epoch | train s | chars/s | sentences/s | loss | dev F1 |',
    '|---:|---:|---:|---:|---:|---:|',
    ...r.epochs.map(
      (e) =>
        `| ${e.epoch} | ${f(e.trainSeconds, 2)} | ${Math.round(e.charsPerSec)} | ${f(e.sentencesPerSec)} | ${f(e.loss, 3)} | ${f(e.devF1 * 100, 2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

const USAGE = 'usage: node run.mjs PACK_DIR WORK_DIR OUT_DIR [--epochs N] [--pretrain-iterations N] [--max-minutes N]';

export async function main(argv: string[]): Promise<number> {
  const start = performance.now();
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      'pretrain-iterations': { type: 'string' },
      'max-minutes': { type: 'string' },
    },
  });
  if (positionals.length !== 3) throw new Error(USAGE);
  const [packDir, workDir, out] = positionals.map((p) => resolve(p));
  const pack = JSON.parse(readFileSync(join(packDir, 'pack.json'), 'utf8')) as PackManifest;
  const num = (name: 'epochs' | 'pretrain-iterations' | 'max-minutes') => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(Number.isFinite(n) && n > 0))
      throw new Error(`--${name}: expected a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  const data = join(workDir, pack.data);
  const corpus: CorpusInfo = /ccks/i.test(pack.data)
    ? CCKS2017
    : {
        name: basename(pack.data),
        description: `the corpus packed as ${pack.data}`,
        terms: 'Terms: those of the corpus given to scripts/gpu-pack.ts.',
      };
  const result = await trainDefault({
    data,
    unlabeled: pack.unlabeled ? join(workDir, pack.unlabeled) : undefined,
    out,
    config: join(packDir, pack.config),
    format: pack.format ?? undefined,
    force: true,
    epochs: num('epochs'),
    pretrainIterations: num('pretrain-iterations'),
    maxMinutes: num('max-minutes'),
    corpus,
    reproduce: `npm run gpu:pack -- --data ${pack.data} …, then OUT=DIR ./run.sh in the pack`,
    progress: false,
  });
  const timing = JSON.parse(readFileSync(join(out, 'timing.json'), 'utf8')) as Record<string, number>;
  const unpack = process.env.CNER_UNPACK_SECONDS ? Number(process.env.CNER_UNPACK_SECONDS) : NaN;
  const extra: Record<string, number> = Number.isFinite(unpack) ? { unpack } : {};
  const report = gpuRunReport(result.summary, timing, extra);
  report.seconds.total = (performance.now() - start) / 1000 + (extra.unpack ?? 0);
  writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 1));
  writeFileSync(join(out, 'report.md'), gpuRunMarkdown(report));
  process.stdout.write(gpuRunMarkdown(report));
  return 0;
}

runIfMain(import.meta.url, 'gpu-run', main);
