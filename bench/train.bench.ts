/**
 * `npm run bench:train`: training throughput of the default config (configs/default.json: emb 50 + 50, BiLSTM
 * 128 + 64, CRF, dropout 0.5, batch 16) on each backend — wasm in this thread, wasm on 2 worker threads, WebGPU
 * (the adapter's name in the table; a software adapter such as lavapipe says so) — over the CCKS 2017 training
 * split's sentences, featurised as `cner train` does (no pre-trained vectors: they change no speed).
 *
 *   npx tsx bench/train.bench.ts [--data DIR] [--steps N] [--gpu-steps N] [--batch N] [--backends wasm1,wasm2,webgpu]
 *
 * Every backend runs the same batches (bucketed as the trainer makes them; 2 warm-up steps, then --steps timed
 * steps of forward + backward + Adam; --gpu-steps for a software WebGPU adapter, which is slow). Figures:
 * sentences/s and chars/s of the timed steps, and seconds per epoch = the training split's characters / chars/s.
 * Without ../shared/data, synthetic sentences of 20–60 characters stand in (the table says so).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { wordRowsPerWord } from '../src/features/index.js';
import type { Sentence } from '../src/train/batch.js';
import { type ChosenBackend, createTrainingBackend } from '../src/train/backend-select.js';
import { syntheticSentences } from '../src/train/bench.js';
import { architectureFor } from '../src/train/config.js';
import { buildFeatureSpace, docsToSentences, insideTagPredicate } from '../src/train/data.js';
import { ParamLayout, initParameters } from '../src/train/params.js';
import { Rng, hash32 } from '../src/train/rng.js';
import { loadRunConfig } from '../src/train/run-config.js';
import { readSplit } from '../src/train/run.js';
import { makeBatches, splitLongSentences } from '../src/train/trainer.js';
import { findWebGpuAdapter } from '../src/train/webgpu/adapter.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    steps: { type: 'string' },
    'gpu-steps': { type: 'string' },
    batch: { type: 'string' },
    backends: { type: 'string' },
  },
});
const steps = Number(values.steps ?? 20);
const softwareSteps = Number(values['gpu-steps'] ?? 4);
const dataPath = resolve(values.data ?? join(root, '..', 'shared', 'data', 'ccks2017', 'train'));
const wanted = (values.backends ?? 'wasm1,wasm2,webgpu').split(',');

const file = loadRunConfig(join(root, 'configs', 'default.json'));
const config = { ...file.config, embeddings: {}, batchSize: Number(values.batch ?? file.config.batchSize) };

/** The training split's sentences, as runTraining makes them (or synthetic ones without the data). */
async function trainingSentences(): Promise<{
  sentences: Sentence[];
  arch: ReturnType<typeof architectureFor>;
  source: string;
}> {
  if (!existsSync(dataPath)) {
    const arch = architectureFor(config, { charVocab: 2000, wordVocab: 10000, tags: 11 });
    return { sentences: syntheticSentences(arch, 2048, 20, 60, 3), arch, source: `synthetic (no ${dataPath})` };
  }
  const { split } = await readSplit(dataPath, undefined, config.split);
  const space = buildFeatureSpace(split.train, {
    segmenter: file.segmenter ?? 'jieba+entities',
    wordPositions: config.wordPositions,
  });
  const set = docsToSentences(split.train, space);
  const sentences = splitLongSentences(set.sentences, config.maxSentenceLength, insideTagPredicate(space.labels));
  const arch = architectureFor(config, {
    charVocab: space.vocab.chars.length,
    wordVocab: space.vocab.words.length * wordRowsPerWord(space.features),
    tags: space.labels.length,
  });
  return { sentences, arch, source: `CCKS 2017 training split (${sentences.length} sentences)` };
}

interface Row {
  backend: string;
  steps: number;
  sentencesPerSec: number;
  charsPerSec: number;
  secondsPerEpoch: number;
}

async function bench(
  chosen: ChosenBackend,
  sentences: Sentence[],
  batches: number[][],
  timed: number,
  params: Float32Array,
  epochChars: number,
): Promise<Row> {
  const { backend } = chosen;
  backend.setParameters(params);
  const run = async (b: number[], step: number) => {
    const batch = b.map((i) => sentences[i]);
    backend.zeroGrad();
    const s = await backend.forwardBackward(batch, {
      dropout: config.dropout,
      seed: hash32(config.seed, 3, step),
      keys: b,
    });
    await backend.step(config.optimizer, batch.length);
    return s;
  };
  for (let i = 0; i < 2; i++) await run(batches[i], i); // warm-up: pipelines, buffers, JIT
  let chars = 0;
  let count = 0;
  const t0 = performance.now();
  for (let i = 0; i < timed; i++) {
    const s = await run(batches[2 + (i % (batches.length - 2))], 2 + i);
    chars += s.chars;
    count += s.sentences;
  }
  await backend.sync?.();
  const seconds = (performance.now() - t0) / 1000;
  await backend.dispose();
  const charsPerSec = chars / seconds;
  return {
    backend: chosen.name,
    steps: timed,
    sentencesPerSec: count / seconds,
    charsPerSec,
    secondsPerEpoch: epochChars / charsPerSec,
  };
}

async function main(): Promise<void> {
  const { sentences, arch, source } = await trainingSentences();
  const layout = new ParamLayout(arch);
  const params = initParameters(layout, new Rng(hash32(config.seed, 1)));
  const batches = makeBatches(
    sentences.map((s) => s.charIds.length),
    config.batchSize,
    new Rng(hash32(config.seed, 2)),
  );
  const epochChars = sentences.reduce((a, s) => a + s.charIds.length, 0);
  const rows: Row[] = [];
  for (const which of wanted) {
    if (which === 'wasm1' || which === 'wasm2') {
      const chosen = await createTrainingBackend(layout, { backend: 'wasm', workers: which === 'wasm1' ? 1 : 2 });
      rows.push(await bench(chosen, sentences, batches, steps, params, epochChars));
    } else if (which === 'webgpu') {
      const found = await findWebGpuAdapter();
      if (typeof found === 'string') {
        process.stderr.write(`webgpu: skipped (${found})\n`);
        continue;
      }
      const chosen = await createTrainingBackend(layout, { backend: 'webgpu', workers: 1 });
      rows.push(await bench(chosen, sentences, batches, found.software ? softwareSteps : steps, params, epochChars));
    } else throw new Error(`--backends: unknown ${which} (wasm1, wasm2, webgpu)`);
    const r = rows[rows.length - 1];
    process.stderr.write(`${r.backend}: ${Math.round(r.charsPerSec)} chars/s\n`);
  }
  const base = rows.find((r) => r.backend === 'wasm, 2 workers');
  const c = cpus();
  const lines = [
    `Default config (emb ${config.charDim} + ${config.wordDim}, BiLSTM ${config.lstm.join(' + ')}, CRF, dropout ${config.dropout}), batch ${config.batchSize}, ${layout.total.toLocaleString('en-US')} parameters; ${source}, ${epochChars.toLocaleString('en-US')} characters an epoch.`,
    `${c.length} × ${c[0]?.model ?? 'unknown'}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end.`,
    '',
    '| backend | timed steps | sentences/s | chars/s | s per epoch | × wasm 2 workers |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.steps} | ${r.sentencesPerSec.toFixed(1)} | ${Math.round(r.charsPerSec).toLocaleString('en-US')} | ${r.secondsPerEpoch.toFixed(1)} | ${base ? (r.charsPerSec / base.charsPerSec).toFixed(2) : 'n/a'} |`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench:train: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
