/**
 * Training throughput of the paper architecture (emb 50 + 50, BiLSTM 128 + 64, 11 tags, CRF) on synthetic
 * sentences (src/train/bench.ts): chars/s of forward + backward + Adam, in this thread and over worker threads.
 *
 *   npx tsx scripts/train-bench.ts [--workers 1,2] [--batch 32] [--seconds 10] [--min 20 --max 60]
 */

import { loadavg } from 'node:os';
import { PAPER_ARCHITECTURE, type Architecture } from '../src/model/layout.js';
import { type TrainingBackend, WasmBackend } from '../src/train/backend.js';
import { measure, syntheticSentences } from '../src/train/bench.js';
import { ParallelBackend } from '../src/train/parallel.js';
import { ParamLayout, initParameters } from '../src/train/params.js';
import { Rng } from '../src/train/rng.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

async function main() {
  const arch: Architecture = { ...PAPER_ARCHITECTURE, charVocab: 2000, wordVocab: 10000 };
  const layout = new ParamLayout(arch);
  const params = initParameters(layout, new Rng(7));
  const batch = Number(arg('batch', '32'));
  const seconds = Number(arg('seconds', '10'));
  const data = syntheticSentences(arch, 2048, Number(arg('min', '20')), Number(arg('max', '60')), 3);
  for (const w of arg('workers', '1,2').split(',').map(Number)) {
    const backend: TrainingBackend =
      w === 1 && arg('inline', 'yes') === 'yes'
        ? new WasmBackend(layout)
        : await ParallelBackend.create(layout, { workers: w });
    backend.setParameters(params);
    const r = await measure(backend, data, batch, seconds);
    console.log(
      `workers ${w}${backend instanceof WasmBackend ? ' (this thread)' : ''}: ${r.charsPerSec.toFixed(0)} chars/s wall, ` +
        `${r.charsPerCpuSec.toFixed(0)} chars per CPU-second, ${r.steps} steps of ${batch} sentences (load average ${loadavg()[0].toFixed(1)})`,
    );
    await backend.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
