/**
 * Batch tagging speed of `cner tag` (the same pool, batch loop and JSON lines writer), 1 and 2 worker
 * threads, over the CCKS 2017 training texts.
 *
 *   npx tsx bench/batch.bench.ts [--model FILE] [--data DIR] [--threads 1,2] [--runs 3] [--no-write]
 *
 * Model: --model, else models/default.cner when it exists, else the small random test-vector model
 * (test/vectors/model.cner; its figures say little about a trained model). Prints a markdown table and writes
 * it into docs/onprem.md between the `bench:batch` markers (unless --no-write).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCorpus } from '../src/io/corpus-io.js';
import { runBatch } from '../src/hosts/cli/tag/batch.js';
import type { InputItem, InputSource } from '../src/hosts/cli/tag/input.js';
import { jsonlSink } from '../src/hosts/cli/tag/output.js';
import { createPool } from '../src/hosts/cli/tag/pool.js';
import { readModel } from '../src/model/format.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    threads: { type: 'string' },
    runs: { type: 'string' },
    'no-write': { type: 'boolean' },
  },
});

const defaultModel = join(root, 'models', 'default.cner');
const modelPath = resolve(values.model ?? (existsSync(defaultModel) ? defaultModel : join(root, 'test', 'vectors', 'model.cner')));
const dataPath = resolve(values.data ?? join(root, '..', 'shared', 'data', 'ccks2017', 'train'));
const threadList = (values.threads ?? '1,2').split(',').map(Number);
const runs = Number(values.runs ?? 3);

if (!existsSync(dataPath)) {
  console.error(`bench/batch: ${dataPath} not found (the CCKS 2017 training data); pass --data DIR`);
  process.exit(1);
}

const corpus = await readCorpus(dataPath, { format: 'ccks' });
const texts = corpus.docs.map((d) => d.text);
const chars = texts.reduce((s, t) => s + t.length, 0);
const model = new Uint8Array(readFileSync(modelPath));
const header = readModel(model).header;
const kernels = await WebAssembly.compile(readFileSync(join(root, 'build', 'kernels.wasm')));

function source(): InputSource {
  async function* items(): AsyncGenerator<InputItem> {
    for (let i = 0; i < texts.length; i++) yield { kind: 'doc', index: i, id: corpus.docs[i].id, text: texts[i], progress: i + 1 };
  }
  return { format: 'ccks', total: texts.length, items: items() };
}

/** A sink stream that only counts bytes (the JSON lines are built and serialised as in `cner tag`). */
function nullStream(): Writable & { bytes: number } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.bytes += chunk.length;
      cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

interface Row {
  threads: number;
  startup: number;
  seconds: number[];
  /** CPU seconds of the whole process (all threads) per run */
  cpu: number[];
  entities: number;
}

const startLoad = loadavg()[0];
const rows: Row[] = [];
for (const threads of threadList) {
  const t0 = performance.now();
  const pool = await createPool({ model, kernels }, threads);
  const startup = (performance.now() - t0) / 1000;
  const seconds: number[] = [];
  const cpu: number[] = [];
  let entities = 0;
  try {
    for (let r = 0; r <= runs; r++) {
      const sink = await jsonlSink(nullStream());
      const c0 = process.cpuUsage();
      const stats = await runBatch(source(), pool, sink, {
        tagOptions: {},
        onFailure: (where, message) => console.error(`bench/batch: ${where}: ${message}`),
      });
      if (stats.failed > 0) throw new Error(`${stats.failed} documents failed`);
      entities = stats.entities;
      const c = process.cpuUsage(c0);
      if (r > 0) {
        // run 0 warms up
        seconds.push(stats.seconds);
        cpu.push((c.user + c.system) / 1e6);
      }
    }
  } finally {
    await pool.close();
  }
  rows.push({ threads, startup, seconds, cpu, entities });
  console.error(`threads ${threads}: ${seconds.map((s) => s.toFixed(2)).join(', ')} s`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(rows[0].seconds);
const group = (n: number) => Math.round(n).toLocaleString('en-US');
const a = header.architecture;
const modelLine =
  `model \`${modelPath.startsWith(root) ? relative(root, modelPath) : modelPath}\` (${header.name} ${header.version}; emb ${a.charDim}+${a.wordDim}, BiLSTM ${a.lstm.join('+')}, ` +
  `${a.tags} tags, ${header.quantization?.scheme ?? 'none'}, segmenter ${header.segmenter.kind}; ${group(model.length)} bytes)`;
const table = [
  `| threads | documents | characters | wall s (median of ${runs}) | chars/s | speed-up | CPU s (all threads) | chars per CPU s | worker start-up |`,
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => {
    const s = median(r.seconds);
    const c = median(r.cpu);
    return (
      `| ${r.threads} | ${group(texts.length)} | ${group(chars)} | ${s.toFixed(2)} | ${group(chars / s)} | ${(base / s).toFixed(2)}× | ` +
      `${c.toFixed(2)} | ${group(chars / c)} | ${r.startup.toFixed(2)} s |`
    );
  }),
].join('\n');
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, load average ${startLoad.toFixed(1)} at the start`;
const block = [
  `Batch tagging of the CCKS 2017 training texts (${group(texts.length)} sections, ${group(chars)} characters), ` +
    `JSON lines output built and serialised (written nowhere), default options (scores on, consistency on).`,
  '',
  `- ${modelLine}`,
  `- ${machine}; measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/batch.bench.ts\``,
  `- wall-clock speed needs free cores: on a loaded machine compare the CPU seconds (the threads' overhead) instead`,
  '',
  table,
].join('\n');
console.log(block);

if (values['no-write'] !== true) {
  const doc = join(root, 'docs', 'onprem.md');
  const start = '<!-- bench:batch:start -->';
  const end = '<!-- bench:batch:end -->';
  const text = readFileSync(doc, 'utf8');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`bench/batch: ${relative(root, doc)} has no ${start} … ${end} markers; not written`);
  } else {
    writeFileSync(doc, text.slice(0, i + start.length) + '\n' + block + '\n' + text.slice(j));
    console.error(`written into ${relative(root, doc)}`);
  }
}
