import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Doc, EntitySpan } from '../../src/corpus/document.js';
import { charClass, FeatureDictionary, Gazetteer, positionFeatures, wordFeatures } from '../../scripts/featcrf/features.js';
import {
  evaluateFeatureCrf,
  FeatureCrf,
  loadFeatureCrf,
  mulberry32,
  trainFeatureCrf,
} from '../../scripts/featcrf/model.js';
import { runFeatureCrfExperiment } from '../../scripts/featcrf/experiment.js';
import { createSegmenter } from '../../src/segment/index.js';

// A synthetic clinical-like language: entity words of three types among filler words. Some entity words
// share characters across types (左 in BODY and in SIGNS' 左侧痛 would be ambiguous) so context matters.
const LEXICON: Record<string, string[]> = {
  BODY: ['左眼', '右手', '腹部', '头', '左下肢'],
  SIGNS: ['疼痛', '发热', '咳嗽', '水肿'],
  DRUG: ['阿司匹林', '头孢', '胰岛素'],
};
const FILLER = ['患者', '自述', '，', '。', '无', '给予', '治疗', '今日', '3', '次', 'mg'];

function synthDocs(n: number, seed: number): Doc[] {
  const rand = mulberry32(seed);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const types = Object.keys(LEXICON);
  const docs: Doc[] = [];
  for (let d = 0; d < n; d++) {
    let text = '';
    const entities: EntitySpan[] = [];
    const len = 4 + Math.floor(rand() * 10);
    let lastWasEntity = false;
    for (let w = 0; w < len; w++) {
      if (!lastWasEntity && rand() < 0.4) {
        const type = pick(types);
        const word = pick(LEXICON[type]);
        entities.push({ start: text.length, end: text.length + word.length, type });
        text += word;
        lastWasEntity = true;
      } else {
        text += pick(FILLER);
        lastWasEntity = false;
      }
    }
    docs.push({ id: `synth-${seed}-${d}`, text, entities });
  }
  return docs;
}

const spanKey = (s: EntitySpan) => `${s.start}:${s.end}:${s.type}`;

describe('features', () => {
  it('classifies characters', () => {
    expect(charClass('肝'.charCodeAt(0))).toBe('CJK');
    expect(charClass('7'.charCodeAt(0))).toBe('DIGIT');
    expect(charClass('７'.charCodeAt(0))).toBe('DIGIT');
    expect(charClass('m'.charCodeAt(0))).toBe('LATIN');
    expect(charClass('，'.charCodeAt(0))).toBe('PUNCT');
    expect(charClass('。'.charCodeAt(0))).toBe('PUNCT');
    expect(charClass('.'.charCodeAt(0))).toBe('PUNCT');
    expect(charClass(' '.charCodeAt(0))).toBe('SPACE');
  });

  it('gazetteer marks the longest match of each type independently', () => {
    const g = new Gazetteer(['BODY', 'SIGNS']);
    g.add('腹', 'BODY');
    g.add('腹部', 'BODY');
    g.add('上腹部', 'BODY');
    g.add('疼痛', 'SIGNS');
    g.add('腹部疼痛', 'SIGNS');
    expect(g.size).toBe(5);
    const f = g.features('上腹部疼痛腹');
    expect(f[0]).toEqual(['G:B-BODY']);
    expect(f[1]).toEqual(['G:I-BODY', 'G:B-SIGNS']);
    expect(f[2]).toEqual(['G:E-BODY', 'G:I-SIGNS']);
    expect(f[3]).toEqual(['G:I-SIGNS']);
    expect(f[4]).toEqual(['G:E-SIGNS']);
    expect(f[5]).toEqual(['G:S-BODY']);
    expect(g.entries().length).toBe(5);
    expect(() => g.add('x', 'DRUG')).toThrow(/unknown type/);
  });

  it('emits the n-gram templates with boundary padding', () => {
    const f = positionFeatures('甲乙丙');
    expect(f.length).toBe(3);
    expect(f[1]).toContain('U0=乙');
    expect(f[1]).toContain('U-1=甲');
    expect(f[1]).toContain('B01=乙丙');
    expect(f[1]).toContain('T-101=甲乙丙');
    expect(f[1]).toContain('K0=CJK');
    expect(f[0].find((s) => s.startsWith('U-1='))).not.toBe('U-1=乙'); // padded, not wrapped
    expect(new Set(f[0]).size).toBe(f[0].length);
  });

  it('word features follow the segmentation and reject a bad segmenter', () => {
    const w = wordFeatures('上腹部痛', () => ['上腹部', '痛']);
    expect(w.map((x) => x[0])).toEqual(['W:B', 'W:M', 'W:E', 'W:S']);
    expect(() => wordFeatures('上腹部痛', () => ['上腹', '部'])).toThrow(/cover 3 of 4/);
    expect(() => wordFeatures('上腹部痛', () => ['下腹部', '痛'])).toThrow(/mismatch at offset 0/);
  });

  it('feature dictionary honours the minimum count', () => {
    const d = FeatureDictionary.build([[['a', 'b'], ['a']], [['a', 'c']]], 2);
    expect(d.names).toEqual(['a']);
    const enc = d.encode([['a', 'zz'], ['b']]);
    expect(Array.from(enc.featStart)).toEqual([0, 1, 1]);
    expect(Array.from(enc.featIds)).toEqual([0]);
    expect(() => FeatureDictionary.build([], 0)).toThrow(/minCount must be an integer >= 1, got 0/);
  });
});

describe('feature CRF training', () => {
  const train = synthDocs(150, 1);
  const dev = synthDocs(30, 2);
  const test = synthDocs(60, 3);

  it('learns a small synthetic task perfectly (L-BFGS, with and without gazetteer)', () => {
    for (const gazetteer of [true, false]) {
      const model = trainFeatureCrf(train, dev, { gazetteer, maxIterations: 60, l2: 0.1 });
      const s = evaluateFeatureCrf(model, test);
      expect(s.strict.micro.f1).toBe(1);
      expect(model.labels).toEqual(['O', 'B-BODY', 'I-BODY', 'B-DRUG', 'I-DRUG', 'B-SIGNS', 'I-SIGNS']);
      expect(model.info.bestDevF1).toBe(1);
    }
  });

  it('learns it with AdaGrad too, deterministically for a seed', () => {
    const a = trainFeatureCrf(train, [], { optimizer: 'adagrad', maxIterations: 8, seed: 5 });
    const b = trainFeatureCrf(train, [], { optimizer: 'adagrad', maxIterations: 8, seed: 5 });
    expect(evaluateFeatureCrf(a, test).strict.micro.f1).toBe(1);
    expect(a.toJSON().theta).toBe(b.toJSON().theta);
  });

  it('an untrained-looking model (no iterations) finds nothing; training is what makes it work', () => {
    const m = trainFeatureCrf(train, [], { maxIterations: 0 });
    expect(evaluateFeatureCrf(m, test).strict.micro.f1).toBe(0);
  });

  it('round-trips through JSON and a gzip file with identical predictions', () => {
    const model = trainFeatureCrf(train, dev, { maxIterations: 30 });
    const again = FeatureCrf.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const dir = mkdtempSync(join(tmpdir(), 'featcrf-'));
    try {
      const file = join(dir, 'model.json.gz');
      model.save(file);
      const loaded = loadFeatureCrf(file);
      for (const d of test) {
        const want = model.predict(d.text).map(spanKey);
        expect(again.predict(d.text).map(spanKey)).toEqual(want);
        expect(loaded.predict(d.text).map(spanKey)).toEqual(want);
      }
      expect(loaded.info).toEqual(model.info);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses word features from a segmenter and requires it again on load', () => {
    // a segmenter that knows the lexicon (greedy longest match), everything else one character a word
    const words = [...Object.values(LEXICON).flat(), ...FILLER].sort((a, b) => b.length - a.length);
    const segment = (text: string) => {
      const out: string[] = [];
      for (let i = 0; i < text.length; ) {
        const w = words.find((x) => text.startsWith(x, i)) ?? text[i];
        out.push(w);
        i += w.length;
      }
      return out;
    };
    const model = trainFeatureCrf(train, dev, { segment, gazetteer: false, maxIterations: 40 });
    expect(evaluateFeatureCrf(model, test).strict.micro.f1).toBe(1);
    const json = model.toJSON();
    expect(json.usesSegmenter).toBe(true);
    expect(() => FeatureCrf.fromJSON(json)).toThrow(/pass the same segmenter/);
    expect(FeatureCrf.fromJSON(json, { segment }).predict(test[0].text).map(spanKey)).toEqual(
      model.predict(test[0].text).map(spanKey),
    );
  });

  it('takes a src/segment Segmenter and rebuilds it from the saved spec', () => {
    const words = [...new Set([...Object.values(LEXICON).flat(), ...FILLER])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const seg = createSegmenter({ kind: 'dict', variant: 'jieba', total: words.length * 10, words, freqs: words.map(() => 10) });
    const model = trainFeatureCrf(train, dev, { segment: seg, gazetteer: false, maxIterations: 40 });
    expect(evaluateFeatureCrf(model, test).strict.micro.f1).toBe(1);
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    expect(json.segmenterSpec.words).toEqual(words);
    const again = FeatureCrf.fromJSON(json);
    for (const d of test) expect(again.predict(d.text).map(spanKey)).toEqual(model.predict(d.text).map(spanKey));
  });

  it('works for any label set read from the data', () => {
    const relabel = (docs: Doc[]) =>
      docs.map((d) => ({ ...d, entities: d.entities.map((e) => ({ ...e, type: e.type === 'DRUG' ? '药物' : e.type })) }));
    const r = runFeatureCrfExperiment({ train: relabel(train), dev: relabel(dev), test: relabel(test), seed: 3, options: { maxIterations: 40 } });
    expect(r.strict.f1).toBe(1);
    expect(Object.keys(r.perType).sort()).toEqual(['BODY', 'SIGNS', '药物']);
    expect(r.model.labels).toContain('B-药物');
  });

  it('validates its input', () => {
    expect(() => trainFeatureCrf([], [])).toThrow(/trainDocs must not be empty/);
    expect(() => trainFeatureCrf([{ id: 'x' } as unknown as Doc], [])).toThrow(/trainDocs\[0\] must be a Doc/);
    expect(() => trainFeatureCrf(train, [], { l2: -1 })).toThrow(/l2 must be >= 0, got -1/);
    expect(() => trainFeatureCrf(train, [], { optimizer: 'sgd' as 'lbfgs' })).toThrow(/optimizer must be 'lbfgs' or 'adagrad', got "sgd"/);
    const overlapping: Doc = {
      id: 'bad-1',
      text: '左眼疼痛',
      entities: [
        { start: 0, end: 2, type: 'BODY' },
        { start: 1, end: 3, type: 'SIGNS' },
      ],
    };
    expect(() => trainFeatureCrf([overlapping], [])).toThrow(/document bad-1: .*overlap/);
    const model = trainFeatureCrf(train, [], { maxIterations: 5 });
    expect(() => model.predict(42 as unknown as string)).toThrow(/expected a string, got number/);
    expect(() => FeatureCrf.fromJSON({ format: 'nope' } as never)).toThrow(/expected format/);
  });
});
