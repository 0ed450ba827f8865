/**
 * Where tagging time goes, stage by stage, and how close end-to-end tagging comes to the kernels
 * (npm run bench:profile).
 *
 * Documents: the test part of the fixed split of CCKS 2017 when ../shared/data/ccks2017/train exists (--data DIR
 * to point elsewhere; --all: every document there), else the CCKS-format fixtures under test/fixtures/corpus/ccks. Model: --model FILE, else
 * models/default.cner.
 *
 * Each round (--rounds, default 7; the order of the two measurements alternates from round to round) measures
 *   end to end   tagger.tagMany(all texts) after start-up, with the default options (entity scores, consistency)
 *   kernels      network.emissions + Viterbi on exactly the sentences tagMany runs (same features, same chunks of
 *                about 16,384 tokens, same batching), i.e. what the kernels alone would take
 * and the ratio end to end / kernels in chars/s. Then every stage on its own over the same documents, using the
 * functions the tagger uses: sentences (splitSentences), normalise (taggableSentences: the split again, normalise
 * in place, trim), segment (segmenter.cut), features (vocab look-ups, lexicon matches), kernels
 * (emissions), CRF decode (Viterbi), scores (forward–backward + entity probabilities, for the returned entities
 * only; the lattices on the kernels, as the tagger), spans (BIO → spans → entities with offsets and text), consistency
 * (the compiled check, per document). Beside the stages, the scores with the host's reference lattice
 * (forwardBackward in src/model/crf.ts, JS) instead of the kernels' one, for comparison.
 * µs per document and share of the summed stages. (Here a sentence longer than the tagger's 256-token windows runs
 * whole; the CCKS texts have at most one such.)
 *
 * With --previous FILE (the src/tagger.ts of an earlier version, e.g. unpacked by `git archive REV src package.json |
 * tar -x -C DIR`), that tagger's tagMany is measured in the same rounds (a third measurement, the order rotating),
 * with its own ratio to the same kernels, and its entities are compared with the current tagger's (types and
 * offsets must match; the largest score difference is printed). That tagger loads the kernels of --previous-kernels
 * FILE (default: this build's build/kernels.wasm; an earlier version with another kernel ABI needs its own build, e.g.
 * `git archive REV assembly scripts package.json | tar -x -C DIR`, node_modules linked, `node DIR/scripts/build-kernels.mjs`).
 *
 * Times are process CPU time (process.cpuUsage), medians over the rounds: the machine is shared, the median of
 * interleaved rounds is the fairest figure it gives.
 *
 *   npx tsx bench/profile.bench.ts [--model FILE] [--data DIR] [--all] [--rounds 7] [--previous DIR/src/tagger.ts]
 *                                  [--previous-kernels DIR/build/kernels.wasm]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readCorpus } from '../src/io/corpus-io.js';
import { recordIdOf, splitByRecord } from '../src/corpus/split.js';
import type { Doc } from '../src/corpus/document.js';
import { readModel } from '../src/model/format.js';
import { loadInferenceKernels } from '../src/model/kernels.js';
import { createNetwork } from '../src/model/network.js';
import { lexiconSize } from '../src/model/layout.js';
import { type Tagger, createTagger } from '../src/tagger.js';
import { entityLogProb, forwardBackward, forwardBackwardKernels, type CrfParams, type Lattice } from '../src/model/crf.js';
import { createSegmenter } from '../src/segment/index.js';
import { Lexicon, createLookup, featurize } from '../src/features/index.js';
import { splitSentences, taggableSentences } from '../src/text/sentences.js';
import { tagIdsToSpans, tagTypes } from '../src/tags/bio.js';
import { compileConsistency } from '../src/consistency/index.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    rounds: { type: 'string' },
    all: { type: 'boolean' },
    previous: { type: 'string' },
    'previous-kernels': { type: 'string' },
  },
});
const rounds = Number(values.rounds ?? 7);
const modelPath = resolve(values.model ?? join(root, 'models', 'default.cner'));
const ccksDir = resolve(values.data ?? join(root, '..', 'shared', 'data', 'ccks2017', 'train'));
const log = (s: string) => process.stderr.write(s + '\n');

// ---------------------------------------------------------------- documents and model
let docs: Doc[];
let what: string;
if (existsSync(ccksDir)) {
  const all = (await readCorpus(ccksDir, { format: 'ccks' })).docs;
  docs = values.all ? all : splitByRecord(all, { recordKey: recordIdOf }).test;
  what = values.all ? `all ${docs.length} CCKS 2017 training documents` : `the CCKS 2017 test split (${docs.length} documents)`;
} else {
  docs = (await readCorpus(join(root, 'test', 'fixtures', 'corpus', 'ccks'), { format: 'ccks' })).docs;
  what = `the CCKS-format fixtures (${docs.length} documents; ${ccksDir} is absent)`;
}
const texts = docs.map((d) => d.text);
const chars = texts.reduce((s, t) => s + t.length, 0);
const bytes = new Uint8Array(readFileSync(modelPath));
const file = readModel(bytes);
const h = file.header;
const wasm = readFileSync(join(root, 'build', 'kernels.wasm'));
const tagger = await createTagger({ model: file, kernels: await WebAssembly.compile(wasm) });
// an earlier version's tagger, from its own sources (its createTagger takes the model's bytes)
const previous: Tagger | null = values.previous
  ? await (await import(pathToFileURL(resolve(values.previous)).href)).createTagger({
      model: bytes,
      kernels: values['previous-kernels'] ? readFileSync(resolve(values['previous-kernels'])) : wasm,
    })
  : null;
const kernels = await loadInferenceKernels(new Uint8Array(wasm));
const network = createNetwork(kernels, h.architecture, file.weights);
const segmenter = createSegmenter(h.segmenter);
const lookup = createLookup(h.vocab);
const labels = h.tags.labels;
const table = h.consistency ?? null;
const lexicon = lexiconSize(h.architecture) > 0 && table ? Lexicon.fromEntries(tagTypes(labels), table.entries) : null;
const check = table ? compileConsistency(table, { normalization: h.normalization }) : null;
const K = h.architecture.tags;
const f64 = (name: string, n: number) => {
  const t = file.weights.get(name);
  return t && h.architecture.crf ? Float64Array.from(t.data as Float32Array) : new Float64Array(n);
};
const crf: CrfParams = { crf: h.architecture.crf, K, trans: f64('crf.trans', K * K), start: f64('crf.start', K), end: f64('crf.end', K) };
const bio = new Map<string, { b: number; i: number }>();
labels.forEach((l, id) => {
  if (l === 'O') return;
  const e = bio.get(l.slice(2)) ?? { b: -1, i: -1 };
  if (l[0] === 'B') e.b = id;
  else e.i = id;
  bio.set(l.slice(2), e);
});

// ---------------------------------------------------------------- timing
const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
function timed(fn: () => void): number {
  const t0 = cpuUs();
  fn();
  return cpuUs() - t0;
}
const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------- the stages, one at a time over all documents
interface Sent { doc: number; tokens: string[]; offsets: Int32Array; words?: string[]; charIds?: Int32Array; wordIds?: Int32Array; bigramIds?: Int32Array; lexIds?: Int32Array; em?: Float32Array; path?: Int32Array }
const CHUNK_TOKENS = 16384; // as src/tagger.ts
type Stage = 'sentences' | 'normalise' | 'segment' | 'features' | 'kernels' | 'CRF decode' | 'scores' | 'spans' | 'consistency';
const STAGES: Stage[] = ['sentences', 'normalise', 'segment', 'features', 'kernels', 'CRF decode', 'scores', 'spans', 'consistency'];

/** per round: the scores stage with the host's reference lattice (forwardBackward, JS) */
const jsRounds: number[] = [];
function stageRound(): Record<Stage, number> {
  const t = {} as Record<Stage, number>;
  let spans: { start: number; end: number }[][] = [];
  t.sentences = timed(() => {
    spans = texts.map((text) => splitSentences(text));
  });
  const sents: Sent[] = [];
  t.normalise = timed(() => {
    // the tagger's own taggableSentences (split again, normalise in place, trim): the split is counted twice, a
    // few µs a document (the sentences stage)
    texts.forEach((text, d) => {
      for (const { tokens, offsets } of taggableSentences(text, h.normalization)) sents.push({ doc: d, tokens, offsets });
    });
  });
  t.segment = timed(() => {
    for (const s of sents) s.words = segmenter.cut(s.tokens.join(''));
  });
  t.features = timed(() => {
    for (const s of sents) Object.assign(s, featurize(s.tokens, s.words as string[], lookup, h.features, lexicon));
  });
  t.kernels = timed(() => {
    for (const chunk of chunks(sents)) {
      const batch = {
        charIds: chunk.map((s) => s.charIds as Int32Array),
        wordIds: chunk.map((s) => s.wordIds as Int32Array),
        ...(lookup.bigrams ? { bigramIds: chunk.map((s) => s.bigramIds as Int32Array) } : {}),
        ...(lexicon ? { lexIds: chunk.map((s) => s.lexIds as Int32Array) } : {}),
      };
      network.emissions(batch).forEach((em, i) => (chunk[i].em = em));
    }
  });
  t['CRF decode'] = timed(() => {
    for (const s of sents) s.path = network.viterbi(s.em as Float32Array, s.tokens.length).path;
  });
  const found = sents.map((s) => tagIdsToSpans(s.path as Int32Array, labels));
  const scores = (lattice: (em: Float32Array, T: number, spans: { start: number; end: number }[]) => Lattice) => () => {
    sents.forEach((s, i) => {
      if (found[i].length === 0) return;
      const lat = lattice(s.em as Float32Array, s.tokens.length, found[i]); // as the tagger: their rows only
      for (const e of found[i]) {
        const ids = bio.get(e.type) as { b: number; i: number };
        Math.exp(entityLogProb(lat, e.start, e.end, ids.b, ids.i));
      }
    });
  };
  // the kernels' lattice (as the tagger) and the host's reference, in turns
  const onKernels = scores((em, T, spans) => forwardBackwardKernels(kernels, em, T, crf, spans));
  const inJs = scores((em, T, spans) => forwardBackward(em, T, crf, spans));
  if (jsRounds.length % 2 === 0) {
    t.scores = timed(onKernels);
    jsRounds.push(timed(inJs));
  } else {
    jsRounds.push(timed(inJs));
    t.scores = timed(onKernels);
  }
  const perDoc: { type: string; start: number; end: number; text: string }[][] = texts.map(() => []);
  t.spans = timed(() => {
    for (const s of sents) {
      for (const e of tagIdsToSpans(s.path as Int32Array, labels)) {
        const start = s.offsets[e.start];
        const end = s.offsets[e.end];
        perDoc[s.doc].push({ type: e.type, start, end, text: texts[s.doc].slice(start, end) });
      }
    }
  });
  t.consistency = timed(() => {
    if (check) for (const list of perDoc) check(list);
  });
  return t;
}

function* chunks(sents: Sent[]): Generator<Sent[]> {
  let from = 0;
  let tokens = 0;
  for (let i = 0; i < sents.length; i++) {
    tokens += sents[i].tokens.length;
    if (tokens >= CHUNK_TOKENS) {
      yield sents.slice(from, i + 1);
      from = i + 1;
      tokens = 0;
    }
  }
  if (from < sents.length) yield sents.slice(from);
}

// ---------------------------------------------------------------- end to end against the kernels
// the kernels' inputs: the features of the sentences tagMany runs, prepared once
const prepared: Sent[] = [];
texts.forEach((text, d) => {
  for (const { tokens, offsets } of taggableSentences(text, h.normalization)) {
    prepared.push({ doc: d, tokens, offsets, ...featurize(tokens, segmenter.cut(tokens.join('')), lookup, h.features, lexicon) });
  }
});
const longest = Math.max(...prepared.map((s) => s.tokens.length));
function kernelsOnly(): void {
  for (const chunk of chunks(prepared)) {
    const ems = network.emissions({
      charIds: chunk.map((s) => s.charIds as Int32Array),
      wordIds: chunk.map((s) => s.wordIds as Int32Array),
      ...(lookup.bigrams ? { bigramIds: chunk.map((s) => s.bigramIds as Int32Array) } : {}),
      ...(lexicon ? { lexIds: chunk.map((s) => s.lexIds as Int32Array) } : {}),
    });
    ems.forEach((em, i) => network.viterbi(em, chunk[i].tokens.length));
  }
}
function endToEnd(): void {
  tagger.tagMany(texts);
}
function previousEndToEnd(): void {
  previous?.tagMany(texts);
}

// the previous tagger's answer against the current one: the same entities, scores within maxScoreDiff
let maxScoreDiff = 0;
if (previous) {
  const now = tagger.tagMany(texts);
  const before = previous.tagMany(texts);
  now.forEach((r, d) => {
    const b = before[d].entities;
    const same = r.entities.length === b.length && r.entities.every((e, i) => e.type === b[i].type && e.start === b[i].start && e.end === b[i].end);
    if (!same) throw new Error(`--previous: document ${d} gets other entities from the previous tagger`);
    r.entities.forEach((e, i) => (maxScoreDiff = Math.max(maxScoreDiff, Math.abs((e.score as number) - (b[i].score as number)))));
  });
}

log(`profile: ${what}, ${chars.toLocaleString('en-US')} chars, ${prepared.length} sentences (longest ${longest}), ${rounds} rounds…`);
// warm-up: every path and every stage once
endToEnd();
previousEndToEnd();
kernelsOnly();
stageRound();
jsRounds.length = 0;
const e2e: number[] = [];
const prev: number[] = [];
const kern: number[] = [];
const stageTimes: Record<Stage, number[]> = Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, number[]>;
for (let r = 0; r < rounds; r++) {
  // the order rotates from round to round: end to end, kernels (, previous)
  const order: (() => void)[] = previous
    ? [() => e2e.push(timed(endToEnd)), () => kern.push(timed(kernelsOnly)), () => prev.push(timed(previousEndToEnd))]
    : [() => e2e.push(timed(endToEnd)), () => kern.push(timed(kernelsOnly))];
  for (let i = 0; i < order.length; i++) order[(r + i) % order.length]();
  const st = stageRound();
  for (const s of STAGES) stageTimes[s].push(st[s]);
  const cps = (us: number) => Math.round(chars / (us / 1e6));
  log(
    `  round ${r + 1}: end to end ${cps(e2e[r])} chars/s, kernels ${cps(kern[r])} chars/s` +
      (previous ? `, previous tagger ${cps(prev[r])} chars/s` : ''),
  );
}

// ---------------------------------------------------------------- report
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const e2eCps = chars / (median(e2e) / 1e6);
const kernCps = chars / (median(kern) / 1e6);
const stageMed = STAGES.map((s) => median(stageTimes[s]));
const sum = stageMed.reduce((a, b) => a + b, 0);
const lines = [
  '| stage | µs per document | share |',
  '|---|---:|---:|',
  ...STAGES.map((s, i) => `| ${s} | ${fmt(stageMed[i] / docs.length, 1)} | ${fmt((100 * stageMed[i]) / sum, 1)} % |`),
  `| sum of the stages | ${fmt(sum / docs.length, 1)} | 100 % |`,
];
console.log(
  `\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, one thread, load average at the end ` +
    `${loadavg().map((l) => l.toFixed(1)).join(' / ')}. ${what}, ${fmt(chars)} chars; model ${h.name} ${h.version} ` +
    `(${h.quantization?.scheme ?? 'f32'}). CPU time, medians of ${rounds} interleaved rounds.\n`,
);
console.log(`end to end (tagger.tagMany): ${fmt(e2eCps)} chars/s`);
console.log(`kernels (emissions + Viterbi, same sentences): ${fmt(kernCps)} chars/s`);
console.log(`ratio end to end / kernels: ${fmt((100 * e2eCps) / kernCps, 1)} %`);
const perRound = e2e.map((t, r) => kern[r] / t);
console.log(`per round: ${perRound.map((x) => fmt(100 * x, 1)).join(', ')} % (median ${fmt(100 * median(perRound), 1)} %)`);
if (previous) {
  const prevCps = chars / (median(prev) / 1e6);
  console.log(`previous tagger (${values.previous}): ${fmt(prevCps)} chars/s, ${fmt((100 * prevCps) / kernCps, 1)} % of the kernels`);
  console.log(`per round, end to end / previous: ${e2e.map((t, r) => fmt(prev[r] / t, 3)).join(', ')}`);
  console.log(`same entities; largest score difference ${maxScoreDiff.toExponential(1)}`);
}
const scoresKernels = median(stageTimes.scores);
const scoresJs = median(jsRounds);
console.log(
  `scores with the lattice on the kernels: ${fmt(scoresKernels / docs.length, 1)} µs per document; with the JS ` +
    `reference lattice ${fmt(scoresJs / docs.length, 1)} (per round kernels / JS: ` +
    `${stageTimes.scores.map((x, r) => fmt(x / jsRounds[r], 2)).join(', ')}; median ${fmt(median(stageTimes.scores.map((x, r) => x / jsRounds[r])), 2)})`,
);
console.log('');
console.log(lines.join('\n'));
