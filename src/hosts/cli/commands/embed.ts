/**
 * `cner embed`: pre-trains character or word embeddings (word2vec skip-gram or GloVe) on CCKS texts and
 * unlabelled clinical text, and writes them in the word2vec text format.
 */
import { UsageError } from '../command.js';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomicSync } from '../../../io/output-file.js';
import { createSegmenter, type Segmenter, type SegmenterSpec } from '../../../segment/index.js';
import { normalize } from '../../../text/index.js';
import {
  type EmbedProgress, type Embeddings, nearest, trainGloVe, trainWord2Vec, writeWord2VecText,
} from '../../../train/embed/index.js';

export const name = 'embed';
export const summary = 'pre-train character or word embeddings (word2vec skip-gram / GloVe) → word2vec text file';
export const usage = `usage: cner embed [--data CCKS_DIR] [--unlabeled FILE]... --out FILE.vec [options]

Trains embeddings on one token sequence per text line: the CCKS 2017 texts (CCKS_DIR/<section>/*.txtoriginal.txt,
CCKS_DIR being the folder that holds the section folders, or its parent with a train/ folder) and/or unlabelled
text files (one record a line). Writes the word2vec text format (whitespace inside a token is written as <sp>,
<tab>, <nl>, <cr> or <U+XXXX>).

options:
  --data DIR            CCKS 2017 training folder (only its raw texts are read, never the annotations)
  --unlabeled FILE      unlabelled text, one record per line (may be repeated)
  --out FILE            output .vec file (required)
  --unit char|word      tokens: code points (default) or words from the segmenter
  --segmenter FILE      word unit: a segmenter spec JSON (default: jieba's dictionary, no HMM)
  --method word2vec|glove   default word2vec (skip-gram, negative sampling)
  --dim N               vector size (default 50)
  --window N            context window each side (default 4)
  --iter N              iterations (default 100)
  --min-count N         drop tokens seen fewer times (default 5)
  --negative N          word2vec negative samples (default 5)
  --sample X            word2vec subsampling threshold (default 1e-3, 0 = off)
  --alpha X             word2vec starting learning rate (default 0.025) / GloVe weighting exponent (0.75)
  --x-max X             GloVe weighting cut-off (default 100)
  --eta X               GloVe AdaGrad learning rate (default 0.05)
  --seed N              random seed (default 1; runs with --threads 1 are deterministic)
  --threads N           worker threads, Hogwild (default 1)
  --no-normalize        train on the raw text (default: the tagger's normalisation, src/text normalize())
  --neighbours LIST     after training, print the 8 nearest tokens of each comma-separated token
  -h, --help            this text
`;

function die(msg: string): never {
  throw new UsageError(msg);
}


function intArg(v: string | undefined, flag: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) die(`--${flag}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function numArg(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) die(`--${flag}: expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

/** The raw texts of a CCKS 2017 training folder, in sorted path order. */
export function readCcksTexts(dir: string): string[] {
  const collect = (root: string): string[] => {
    const files: string[] = [];
    let sections: string[];
    try {
      sections = readdirSync(root).sort();
    } catch {
      return files;
    }
    for (const s of sections) {
      const sub = join(root, s);
      if (!statSync(sub).isDirectory()) continue;
      for (const f of readdirSync(sub).sort()) if (f.endsWith('.txtoriginal.txt')) files.push(join(sub, f));
    }
    return files;
  };
  let files = collect(dir);
  if (files.length === 0) files = collect(join(dir, 'train'));
  if (files.length === 0) throw new Error(`--data: no <section>/*.txtoriginal.txt files under ${dir} (nor under its train/ folder)`);
  return files.map((f) => readFileSync(f, 'utf8'));
}

/** A 'dict' segmenter spec from jieba's own dictionary (what @node-rs/jieba ships). */
export function jiebaDefaultSpec(): SegmenterSpec {
  const require = createRequire(import.meta.url);
  const { dict } = require('@node-rs/jieba/dict.js') as { dict: Uint8Array };
  const freq = new Map<string, number>();
  let total = 0;
  for (const line of new TextDecoder().decode(dict).split('\n')) {
    const [word, f] = line.trim().split(/\s+/);
    const n = Number(f);
    if (!word || !(n > 0)) continue;
    total += n;
    freq.set(word, n);
  }
  const words = [...freq.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'dict', variant: 'jieba', total, words, freqs: words.map((w) => freq.get(w)!), meta: { source: '@node-rs/jieba dict.txt' } };
}

function formatRate(n: number): string {
  return n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e3 ? (n / 1e3).toFixed(1) + 'k' : n.toFixed(0);
}

/** Errors reach the dispatcher (src/hosts/cli/main.ts): UsageError → exit 2, anything else → exit 1. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        unlabeled: { type: 'string', multiple: true },
        out: { type: 'string' },
        unit: { type: 'string' },
        segmenter: { type: 'string' },
        method: { type: 'string' },
        dim: { type: 'string' },
        window: { type: 'string' },
        iter: { type: 'string' },
        'min-count': { type: 'string' },
        negative: { type: 'string' },
        sample: { type: 'string' },
        alpha: { type: 'string' },
        'x-max': { type: 'string' },
        eta: { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        'no-normalize': { type: 'boolean' },
        neighbours: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    die((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (!v.out) die('expected --out FILE');
  if (!v.data && !v.unlabeled?.length) die('expected --data DIR and/or --unlabeled FILE');
  const unit = v.unit ?? 'char';
  if (unit !== 'char' && unit !== 'word') die(`--unit: expected char or word, got ${JSON.stringify(unit)}`);
  const method = v.method ?? 'word2vec';
  if (method !== 'word2vec' && method !== 'glove') die(`--method: expected word2vec or glove, got ${JSON.stringify(method)}`);
  if (v.segmenter && unit !== 'word') die('--segmenter only applies to --unit word');
  const common = {
    dim: intArg(v.dim, 'dim', 50, 1),
    window: intArg(v.window, 'window', 4, 1),
    iterations: intArg(v.iter, 'iter', 100, 1),
    minCount: intArg(v['min-count'], 'min-count', 5, 1),
    seed: intArg(v.seed, 'seed', 1, 0),
    threads: intArg(v.threads, 'threads', 1, 1),
  };

  // ---- corpus ----
  const t0 = Date.now();
  const texts: string[] = [];
  if (v.data) texts.push(...readCcksTexts(v.data));
  for (const f of v.unlabeled ?? []) texts.push(readFileSync(f, 'utf8'));
  let segmenter: Segmenter | undefined;
  if (unit === 'word') {
    const spec = v.segmenter ? (JSON.parse(readFileSync(v.segmenter, 'utf8')) as SegmenterSpec) : jiebaDefaultSpec();
    segmenter = createSegmenter(spec);
  }
  const sequences: string[][] = [];
  let tokens = 0;
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') continue;
      const norm = v['no-normalize'] ? line : normalize(line).text;
      const seq = segmenter ? segmenter.cut(norm) : Array.from(norm);
      sequences.push(seq);
      tokens += seq.length;
    }
  }
  process.stderr.write(
    `embed: ${sequences.length} lines, ${tokens} ${unit} tokens read in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
      ` (${method}, dim ${common.dim}, window ${common.window}, ${common.iterations} iterations, ${common.threads} thread(s))\n`,
  );

  // ---- training ----
  let lastReport = 0;
  const onProgress = (p: EmbedProgress) => {
    const now = Date.now();
    if (p.iteration < p.iterations && now - lastReport < 10000) return;
    lastReport = now;
    const rate = p.processed / Math.max(1e-3, p.elapsedMs / 1000);
    const eta = p.fraction > 0 ? (p.elapsedMs * (1 - p.fraction)) / p.fraction / 1000 : NaN;
    const what = p.method === 'word2vec' ? `${formatRate(rate)} tokens/s, lr ${p.value.toPrecision(3)}` : `${formatRate(rate)} records/s, cost ${Number.isNaN(p.value) ? '-' : p.value.toPrecision(4)}`;
    process.stderr.write(
      `embed: iteration ${p.iteration}/${p.iterations} (${(p.fraction * 100).toFixed(1)}%) ${what}, ` +
        `${(p.elapsedMs / 1000).toFixed(1)} s elapsed, ~${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s left\n`,
    );
  };
  const t1 = Date.now();
  const cpu0 = process.cpuUsage();
  let emb: Embeddings;
  if (method === 'word2vec') {
    emb = await trainWord2Vec(sequences, {
      ...common, onProgress, negative: intArg(v.negative, 'negative', 5, 1), sample: numArg(v.sample, 'sample'), alpha: numArg(v.alpha, 'alpha'),
    });
  } else {
    emb = await trainGloVe(sequences, {
      ...common, onProgress, xMax: numArg(v['x-max'], 'x-max'), alpha: numArg(v.alpha, 'alpha'), eta: numArg(v.eta, 'eta'),
    });
  }
  const seconds = (Date.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  mkdirSync(dirname(v.out), { recursive: true });
  writeFileAtomicSync(v.out, writeWord2VecText(emb));
  const trained = emb.counts.reduce((a, b) => a + b, 0);
  process.stdout.write(
    `wrote ${v.out}: ${emb.vocab.length} ${unit} vectors × ${emb.dim} (${method}); trained in ${seconds.toFixed(1)} s ` +
      `(cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s), ` +
      `${formatRate((trained * common.iterations) / seconds)} tokens/s (${trained} in-vocabulary tokens × ${common.iterations} iterations)\n`,
  );
  if (v.neighbours) {
    for (const tok of v.neighbours.split(',').filter((t) => t.length > 0)) {
      if (!emb.vocab.includes(tok)) {
        process.stdout.write(`${tok}: not in the vocabulary\n`);
        continue;
      }
      const nn = nearest(emb, tok, 8).map((n) => `${n.token} ${n.similarity.toFixed(3)}`);
      process.stdout.write(`${tok}: ${nn.join(', ')}\n`);
    }
  }
  return 0;
}

export default { name, summary, usage, run };
