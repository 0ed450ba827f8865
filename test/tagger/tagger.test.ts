import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTagger, type Entity, type Tagger } from '../../src/tagger.js';
import { entityLogProb, forwardBackward, logMarginal } from '../../src/model/crf.js';
import { readModel } from '../../src/model/format.js';
import { loadInferenceKernels } from '../../src/model/kernels.js';
import { createNetwork, type Network } from '../../src/model/network.js';
import { normalize } from '../../src/text/normalize.js';
import { splitSentences, splitWindows, trimSpans, windowOwners } from '../../src/text/sentences.js';
import { createLookup, featurizeSentence } from '../../src/features/index.js';
import { createSegmenter } from '../../src/segment/index.js';
import { tagIdsToSpans, tagsToSpans } from '../../src/tags/bio.js';
import { buildConsistencyTable } from '../../src/consistency/index.js';
import { lookupModel, randomModel, type RandomModel } from '../helpers/random-model.js';
import { refMarginals, refSoftmax } from '../reference/reference.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wasmPath = resolve(root, 'build/kernels.wasm');
let wasm: Uint8Array<ArrayBuffer>;

beforeAll(() => {
  if (!existsSync(wasmPath)) throw new Error(`build/kernels.wasm is missing: run npm run build:kernels first`);
  wasm = new Uint8Array(readFileSync(wasmPath));
});

const DICT = {
  kind: 'dict' as const,
  variant: 'jieba' as const,
  total: 1000,
  words: ['右下腹', '右肺', '呕吐', '恶心', '患者', '腹部', '诊断', '阑尾炎', '压痛', '急性'].sort(),
  freqs: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
};
const TEXT = '患者右下腹痛三天，伴恶心呕吐。查体：腹部压痛，反跳痛。诊断：急性阑尾炎。';

// ───────────────────────────── reference decoding (plain f64 JS, checked by enumeration) ─────────────────────────────

interface Crf {
  K: number;
  crf: boolean;
  trans: Float64Array;
  start: Float64Array;
  end: Float64Array;
}

function crfOf(m: RandomModel): Crf {
  const K = m.header.architecture.tags;
  const get = (n: string, len: number) => (m.weights.has(n) ? Float64Array.from(m.weights.get(n)!.data) : new Float64Array(len));
  return { K, crf: m.header.architecture.crf, trans: get('crf.trans', K * K), start: get('crf.start', K), end: get('crf.end', K) };
}

/** Log potentials: emissions as they are (CRF) or their log-softmax (crf = false). */
function potentials(em: Float32Array, T: number, c: Crf): Float64Array {
  const out = Float64Array.from(em);
  if (!c.crf) {
    for (let t = 0; t < T; t++) {
      const row = out.subarray(t * c.K, (t + 1) * c.K);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      for (let y = 0; y < c.K; y++) row[y] -= lse;
    }
  }
  return out;
}

function pathScore(p: Float64Array, path: ArrayLike<number>, c: Crf): number {
  const T = path.length;
  let s = c.start[path[0]] + c.end[path[T - 1]];
  for (let t = 0; t < T; t++) s += p[t * c.K + path[t]] + (t > 0 ? c.trans[path[t - 1] * c.K + path[t]] : 0);
  return s;
}

function refViterbi(em: Float32Array, T: number, c: Crf): Int32Array {
  const p = potentials(em, T, c);
  const K = c.K;
  const score = new Float64Array(T * K);
  const back = new Int32Array(T * K);
  for (let y = 0; y < K; y++) score[y] = c.start[y] + p[y];
  for (let t = 1; t < T; t++) {
    for (let y = 0; y < K; y++) {
      let best = -Infinity;
      for (let x = 0; x < K; x++) {
        const v = score[(t - 1) * K + x] + c.trans[x * K + y];
        if (v > best) {
          best = v;
          back[t * K + y] = x;
        }
      }
      score[t * K + y] = best + p[t * K + y];
    }
  }
  let last = 0;
  for (let y = 1; y < K; y++) if (score[(T - 1) * K + y] + c.end[y] > score[(T - 1) * K + last] + c.end[last]) last = y;
  const path = new Int32Array(T);
  path[T - 1] = last;
  for (let t = T - 1; t > 0; t--) path[t - 1] = back[t * K + path[t]];
  return path;
}

/** Every path with its log-probability (T small). */
function enumerate(em: Float32Array, T: number, c: Crf): { path: Int32Array; logProb: number }[] {
  const p = potentials(em, T, c);
  const all: { path: Int32Array; score: number }[] = [];
  const path = new Int32Array(T);
  const rec = (t: number) => {
    if (t === T) {
      all.push({ path: path.slice(), score: pathScore(p, path, c) });
      return;
    }
    for (let y = 0; y < c.K; y++) {
      path[t] = y;
      rec(t + 1);
    }
  };
  rec(0);
  const m = Math.max(...all.map((a) => a.score));
  const logZ = m + Math.log(all.reduce((s, a) => s + Math.exp(a.score - m), 0));
  return all.map((a) => ({ path: a.path, logProb: a.score - logZ })).sort((a, b) => b.logProb - a.logProb);
}

/** The reference pipeline: same splitting and features as the tagger, reference Viterbi on the network's emissions. */
function referenceEntities(m: RandomModel, net: Network, original: string, maxSentence = 256) {
  const segmenter = createSegmenter(m.header.segmenter);
  const lookup = createLookup(m.header.vocab);
  const crf = crfOf(m);
  const out: { type: string; start: number; end: number; text: string }[] = [];
  for (const sentence of splitSentences(original)) {
    const norm = normalize(original.slice(sentence.start, sentence.end), m.header.normalization);
    const [span] = trimSpans(norm.tokens, [{ start: 0, end: norm.tokens.length }]);
    if (!span) continue;
    const f = featurizeSentence(norm.tokens.slice(span.start, span.end), segmenter, lookup);
    const L = span.end - span.start;
    const overlap = Math.min(32, Math.floor(maxSentence / 4));
    const windows = splitWindows({ start: 0, end: L }, maxSentence, overlap);
    const ems = net.emissions({
      charIds: windows.map((w) => f.charIds.subarray(w.start, w.end)),
      wordIds: windows.map((w) => f.wordIds.subarray(w.start, w.end)),
    });
    const paths = windows.map((w, i) => refViterbi(ems[i], w.end - w.start, crf));
    const owners = windowOwners({ start: 0, end: L }, windows);
    const tags = new Int32Array(L);
    for (let q = 0; q < L; q++) tags[q] = paths[owners[q]][q - windows[owners[q]].start];
    for (const s of tagIdsToSpans(tags, m.header.tags.labels)) {
      const start = sentence.start + norm.starts[span.start + s.start];
      const end = sentence.start + norm.starts[span.start + s.end];
      out.push({ type: s.type, start, end, text: original.slice(start, end) });
    }
  }
  return out;
}

const strip = (es: Entity[]) => es.map(({ type, start, end, text }) => ({ type, start, end, text }));

// ───────────────────────────── tests ─────────────────────────────

describe('createTagger', () => {
  it('loads a model from bytes, an ArrayBuffer or a ModelFile and reports its info', async () => {
    const m = randomModel({ seed: 3 });
    const a = await createTagger({ model: m.bytes, kernels: wasm });
    const b = await createTagger({ model: m.bytes.slice().buffer, kernels: new WebAssembly.Module(wasm) });
    const c = await createTagger({ model: readModel(m.bytes), kernels: wasm.slice().buffer });
    expect(a.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.info.sha256).toBe(a.info.sha256);
    expect(c.info.sha256).toBe(a.info.sha256);
    expect(a.info).toMatchObject({
      name: 'random-test-model',
      labels: ['O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS'],
      types: ['BODY', 'SIGNS'],
      segmenter: 'none',
      quantization: 'none',
      consistency: false,
    });
    expect(strip(b.tag(TEXT).entities)).toEqual(strip(a.tag(TEXT).entities));
  });

  it('refuses a bad model or missing kernels with a clear error', async () => {
    await expect(createTagger({ model: new Uint8Array(10), kernels: wasm })).rejects.toThrow(/model file/);
    await expect(createTagger({ model: 'model.bin' as unknown as Uint8Array, kernels: wasm })).rejects.toThrow(/got string/);
    await expect(createTagger({ model: randomModel().bytes } as any)).rejects.toThrow(/kernels/);
    await expect(createTagger(null as any)).rejects.toThrow(TypeError);
  });
});

describe('tag() on a hand-made model (tags fixed per character)', () => {
  let tagger: Tagger;
  beforeAll(async () => {
    const m = lookupModel({ tagOf: { 腹: 'B-BODY', 部: 'I-BODY', 痛: 'B-SIGNS', X: 'B-BODY', '😀': 'B-SIGNS', '𠀀': 'B-BODY' }, chars: '右下' });
    tagger = await createTagger({ model: m.bytes, kernels: wasm });
  });

  it('finds the entities and their exact UTF-16 offsets', () => {
    const text = '右下腹部痛。';
    const { entities } = tagger.tag(text);
    expect(strip(entities)).toEqual([
      { type: 'BODY', start: 2, end: 4, text: '腹部' },
      { type: 'SIGNS', start: 4, end: 5, text: '痛' },
    ]);
    for (const e of entities) expect(e.score).toBeGreaterThan(0.99);
  });

  it('keeps offsets exact with full-width characters, emoji, ext-B, lone surrogates and CRLF', () => {
    const text = '😀腹部\r\n\uD800腹部ＸＸ　𠀀痛\uDC00腹\r\n\r\n部😀';
    const u16 = tagger.tag(text).entities;
    const cp = tagger.tag(text, { offsets: 'codepoint' }).entities;
    const cps = Array.from(text);
    expect(u16.map((e) => e.text)).toEqual(['😀', '腹部', '腹部', 'Ｘ', 'Ｘ', '𠀀', '痛', '腹', '部', '😀']);
    expect(cp).toHaveLength(u16.length);
    u16.forEach((e, i) => {
      expect(text.slice(e.start, e.end)).toBe(e.text);
      expect(cps.slice(cp[i].start, cp[i].end).join('')).toBe(e.text);
      expect(cp[i].text).toBe(e.text);
      expect(cp[i].type).toBe(e.type);
    });
    // full-width Ｘ is tagged through normalisation (Ｘ → X); offsets stay in the original
    expect(u16[3]).toMatchObject({ type: 'BODY', start: text.indexOf('Ｘ'), end: text.indexOf('Ｘ') + 1 });
    // after the emoji and the surrogate pair, code-point and UTF-16 offsets differ
    expect(cp[9].start).toBe(cps.length - 1);
    expect(u16[9].start).toBe(text.length - 2);
  });

  it('tags every position of a long text without terminators (windows, no truncation)', () => {
    const unit = '右下腹部痛右下';
    const text = unit.repeat(300); // 2,100 characters, one sentence
    for (const maxSentence of [16, 50, 256, 5000]) {
      const { entities } = tagger.tag(text, { maxSentence });
      expect(entities, `maxSentence ${maxSentence}`).toHaveLength(600);
      entities.forEach((e, i) => {
        const base = Math.floor(i / 2) * unit.length;
        expect(e.start).toBe(base + (i % 2 === 0 ? 2 : 4));
        expect(e.text).toBe(i % 2 === 0 ? '腹部' : '痛');
      });
    }
  });

  it('tags a huge multi-sentence text (several network chunks)', () => {
    const text = '右下腹部痛。\n'.repeat(6000); // 42,000 characters
    const { entities } = tagger.tag(text);
    expect(entities).toHaveLength(12000);
    expect(entities[11999]).toMatchObject({ text: '痛', start: text.length - 3 });
  });

  it('handles empty and whitespace-only text, and refuses non-strings naming what came', () => {
    expect(tagger.tag('')).toEqual({ entities: [] });
    expect(tagger.tag(' \r\n\u3000\n')).toEqual({ entities: [] });
    expect(tagger.tag('', { kbest: 3 }).paths).toEqual([{ score: 1, logProb: 0, entities: [] }]);
    expect(() => tagger.tag(42 as unknown as string)).toThrow(/expected text to be a string, got number/);
    expect(() => tagger.tag(null as unknown as string)).toThrow(/got null/);
    expect(() => tagger.tagMany(['a', 3] as unknown as string[])).toThrow(/texts\[1\]/);
    expect(() => tagger.tag('a', { offsets: 'bytes' as any })).toThrow(/offsets/);
    expect(() => tagger.tag('a', { kbest: 0 })).toThrow(/kbest/);
    expect(() => tagger.tag('a', { maxSentence: 0 })).toThrow(/maxSentence/);
    expect(() => tagger.tag('a', { scores: 'no' as any })).toThrow(/scores/);
  });

  it('leaves scores out on request', () => {
    const e = tagger.tag('腹部', { scores: false }).entities[0];
    expect(e).toEqual({ type: 'BODY', start: 0, end: 2, text: '腹部' });
  });
});

describe('consistency check', () => {
  it('retypes an entity to the majority type of its string, and can be switched off', async () => {
    const consistency = buildConsistencyTable([
      { id: 'a', text: '腹部', entities: [{ start: 0, end: 2, type: 'SIGNS' }] },
      { id: 'b', text: '腹部', entities: [{ start: 0, end: 2, type: 'SIGNS' }] },
      { id: 'c', text: '腹部', entities: [{ start: 0, end: 2, type: 'BODY' }] },
    ]);
    const m = lookupModel({ tagOf: { 腹: 'B-BODY', 部: 'I-BODY', 痛: 'B-SIGNS' }, consistency });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    expect(tagger.info.consistency).toBe(true);
    const on = tagger.tag('腹部痛');
    expect(on.entities[0]).toMatchObject({ type: 'SIGNS', text: '腹部', corrected: true, originalType: 'BODY' });
    expect(on.entities[1]).toMatchObject({ type: 'SIGNS', text: '痛' });
    expect(on.entities[1].corrected).toBeUndefined();
    const off = tagger.tag('腹部痛', { consistency: false });
    expect(off.entities[0]).toMatchObject({ type: 'BODY' });
    expect(off.entities[0].corrected).toBeUndefined();
    expect(tagger.tag('腹部', { kbest: 2 }).paths![0].entities[0]).toMatchObject({ type: 'SIGNS', corrected: true });
  });

  it('compiles the table once at load: tagging does not read (or re-validate) the header table again', async () => {
    const consistency = buildConsistencyTable([
      { id: 'a', text: '腹部', entities: [{ start: 0, end: 2, type: 'SIGNS' }] },
      { id: 'b', text: '腹部', entities: [{ start: 0, end: 2, type: 'SIGNS' }] },
    ]);
    const m = lookupModel({ tagOf: { 腹: 'B-BODY', 部: 'I-BODY' }, consistency });
    const tagger = await createTagger({ model: readModel(m.bytes), kernels: wasm });
    // a table broken after load would throw 'consistency table: …' if tag() checked it per document
    (tagger.header.consistency!.entries as any)['腹部'] = { SIGNS: -1 };
    expect(tagger.tag('腹部').entities[0]).toMatchObject({ type: 'SIGNS', corrected: true, originalType: 'BODY' });
    expect(tagger.tagMany(['腹部', '腹部。腹部']).map((r) => r.entities.length)).toEqual([1, 2]);
  });
});

describe('tag() on random models equals the reference decode of the same emissions', () => {
  const variants: Array<[string, Parameters<typeof randomModel>[0]]> = [
    ['BiLSTM-CRF f32', { seed: 21, scale: 1.5 }],
    ['BiLSTM-CRF int8', { seed: 22, scale: 1.5, int8: true }],
    ['BiLSTM softmax (crf=false)', { seed: 23, scale: 1.5, arch: { crf: false } }],
    ['one LSTM layer, no word embeddings', { seed: 24, scale: 1.5, arch: { lstm: [7], wordDim: 0 } }],
    ['dictionary segmenter (word features)', { seed: 29, scale: 1.5, segmenter: DICT, cut: (t: string) => createSegmenter(DICT).cut(t) }],
  ];
  const text = `${TEXT}\r\nＣＴ示😀右肺\uD800结节 ${TEXT.repeat(3)}`;
  for (const [name, opts] of variants) {
    it(name, async () => {
      const m = randomModel({ ...opts, text: TEXT + 'ＣＴ示右肺结节' });
      const tagger = await createTagger({ model: m.bytes, kernels: wasm });
      const net = createNetwork(await loadInferenceKernels(wasm), m.header.architecture, m.weights);
      const want = referenceEntities(m, net, text);
      expect(want.length).toBeGreaterThan(3); // the test means something only with entities
      expect(strip(tagger.tag(text, { consistency: false }).entities)).toEqual(want);
      // windows too
      expect(strip(tagger.tag(text, { maxSentence: 9 }).entities)).toEqual(referenceEntities(m, net, text, 9));
      // tagMany gives what tag gives, text by text
      const texts = [text, '', TEXT, text.slice(7)];
      const many = tagger.tagMany(texts);
      texts.forEach((t, i) => expect(many[i]).toEqual(tagger.tag(t)));
    });
  }
});

describe('entity scores and k-best paths against brute-force enumeration', () => {
  for (const crf of [true, false]) {
    it(`entity probability = mass of the paths whose decoding holds the entity (crf=${crf})`, async () => {
      const m = randomModel({ seed: 31, scale: 1.2, arch: { crf } });
      const net = createNetwork(await loadInferenceKernels(wasm), m.header.architecture, m.weights);
      const c = crfOf(m);
      const labels = m.header.tags.labels;
      const lookup = createLookup(m.header.vocab);
      const seg = createSegmenter(m.header.segmenter);
      for (const sentence of ['右下腹痛', '腹部压痛阴', '查体']) {
        const tokens = Array.from(sentence);
        const f = featurizeSentence(tokens, seg, lookup);
        const [em] = net.emissions({ charIds: [f.charIds], wordIds: [f.wordIds] });
        const T = tokens.length;
        const all = enumerate(em, T, c);
        const lat = forwardBackward(em, T, c);
        // every possible entity [s, e) of every type
        for (let s = 0; s < T; s++) {
          for (let e = s + 1; e <= T; e++) {
            for (const type of ['BODY', 'SIGNS']) {
              let mass = 0;
              for (const p of all) {
                const spans = tagsToSpans(Array.from(p.path, (y) => labels[y]));
                if (spans.some((x) => x.start === s && x.end === e && x.type === type)) mass += Math.exp(p.logProb);
              }
              const got = Math.exp(entityLogProb(lat, s, e, labels.indexOf(`B-${type}`), labels.indexOf(`I-${type}`)));
              expect(got, `${sentence} [${s}, ${e}) ${type}`).toBeCloseTo(mass, 5);
            }
          }
        }
      }
    });
  }

  it('the scaled forward–backward agrees with the log-space reference’s marginals and log Z, and stays finite on long sentences', async () => {
    for (const crf of [true, false]) {
      const m = randomModel({ seed: 33, scale: 2, arch: { crf } });
      const net = createNetwork(await loadInferenceKernels(wasm), m.header.architecture, m.weights);
      const c = crfOf(m);
      const lookup = createLookup(m.header.vocab);
      const seg = createSegmenter(m.header.segmenter);
      for (const T of [1, 7, 3000]) {
        const tokens = Array.from(TEXT.repeat(100)).slice(0, T);
        const f = featurizeSentence(tokens, seg, lookup);
        const [em] = net.emissions({ charIds: [f.charIds], wordIds: [f.wordIds] });
        const lat = forwardBackward(em, T, c);
        const ref = crf ? refMarginals(em, T, c) : { marginals: refSoftmax(em, T, c.K), logZ: 0 };
        expect(Number.isFinite(lat.logZ)).toBe(true);
        if (crf) expect(lat.logZ).toBeCloseTo(ref.logZ, T > 100 ? 1 : 3);
        else expect(lat.logZ).toBeCloseTo(0, 6);
        for (let t = 0; t < T; t += Math.max(1, Math.floor(T / 50))) {
          let sum = 0;
          for (let y = 0; y < c.K; y++) {
            const p = Math.exp(logMarginal(lat, t, y));
            sum += p;
            expect(p, `T=${T} t=${t} y=${y}`).toBeCloseTo(ref.marginals[t * c.K + y], 3);
          }
          expect(sum).toBeCloseTo(1, 6);
        }
      }
    }
  });

  it('k-best paths are the most probable taggings, best first, across sentences', async () => {
    const m = randomModel({ seed: 41, scale: 1.0 });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    const net = createNetwork(await loadInferenceKernels(wasm), m.header.architecture, m.weights);
    const c = crfOf(m);
    const text = '右下腹痛。查体';
    const res = tagger.tag(text, { kbest: 6 });
    const paths = res.paths!;
    expect(paths).toHaveLength(6);
    expect(paths[0].entities).toEqual(res.entities);
    for (let i = 1; i < paths.length; i++) expect(paths[i].logProb).toBeLessThanOrEqual(paths[i - 1].logProb + 1e-9);
    // brute force: all joint taggings of the two sentences
    const sents = ['右下腹痛。', '查体'];
    const lookup = createLookup(m.header.vocab);
    const seg = createSegmenter(m.header.segmenter);
    const lists = sents.map((s) => {
      const f = featurizeSentence(Array.from(s), seg, lookup);
      const [em] = net.emissions({ charIds: [f.charIds], wordIds: [f.wordIds] });
      return enumerate(em, Array.from(s).length, c);
    });
    const joint: number[] = [];
    for (const a of lists[0]) for (const b of lists[1]) joint.push(a.logProb + b.logProb);
    joint.sort((x, y) => y - x);
    paths.forEach((p, i) => {
      expect(p.logProb).toBeCloseTo(joint[i], 4);
      expect(p.score).toBeCloseTo(Math.exp(joint[i]), 6);
    });
    // every path's entities are consistent with the text
    for (const p of paths) for (const e of p.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('k-best works on windowed sentences and returns distinct taggings', async () => {
    const m = randomModel({ seed: 42, scale: 1.5 });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    const text = TEXT.replace(/[。，：]/g, '').repeat(2);
    const res = tagger.tag(text, { kbest: 4, maxSentence: 12 });
    expect(res.paths!.length).toBe(4);
    expect(res.paths![0].entities).toEqual(res.entities);
    const keys = res.paths!.map((p) => JSON.stringify(strip(p.entities)) + p.logProb);
    expect(new Set(keys).size).toBe(4);
    for (let i = 1; i < 4; i++) expect(res.paths![i].logProb).toBeLessThanOrEqual(res.paths![i - 1].logProb);
  });

  it('scores are probabilities, the same in entities and in paths[0]', async () => {
    const m = randomModel({ seed: 51, scale: 1.5 });
    const tagger = await createTagger({ model: m.bytes, kernels: wasm });
    const res = tagger.tag(TEXT, { kbest: 2 });
    expect(res.entities.length).toBeGreaterThan(0);
    for (const e of res.entities) {
      expect(e.score).toBeGreaterThanOrEqual(0);
      expect(e.score).toBeLessThanOrEqual(1);
    }
    expect(res.paths![0].entities.map((e) => e.score)).toEqual(res.entities.map((e) => e.score));
    // without k-best the lattice holds only the rows the entities read (log Z taken where the passes meet): the same
    // entities, the scores equal up to rounding
    const plain = tagger.tag(TEXT).entities;
    expect(plain.map(({ score: _score, ...rest }) => rest)).toEqual(res.entities.map(({ score: _score, ...rest }) => rest));
    plain.forEach((e, k) => expect(Math.abs((e.score as number) - (res.entities[k].score as number))).toBeLessThanOrEqual(1e-12 * (e.score as number)));
  });
});
