/**
 * Augmentation for unseen entities (src/train/augment.ts, issue 16 point 4): entities replaced by other strings of
 * their type, offsets and BIO tags recomputed, deterministic given the seed.
 */
import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/corpus/document.js';
import { tagsToSpans } from '../../src/tags/bio.js';
import { augmentDocs, augmentedSentences, entityPools, lexiconPools, mergePools } from '../../src/train/augment.js';
import { resolveConfig } from '../../src/train/config.js';
import { buildFeatureSpace, docsToSentences, featurizer } from '../../src/train/data.js';

const augment = (a?: object) => resolveConfig({ augment: a } as never).augment;

const DOCS: Doc[] = [
  {
    id: 'a',
    text: '患者右髋部疼痛3天，诊断为股骨颈骨折。予手术治疗。',
    entities: [
      { start: 2, end: 5, type: 'BODY' },
      { start: 5, end: 7, type: 'SIGNS' },
      { start: 13, end: 18, type: 'DISEASE' },
      { start: 20, end: 22, type: 'TREATMENT' },
    ],
  },
  {
    id: 'b',
    text: '上腹部压痛，考虑急性胃炎，给予奥美拉唑治疗。',
    entities: [
      { start: 0, end: 3, type: 'BODY' },
      { start: 3, end: 5, type: 'SIGNS' },
      { start: 8, end: 12, type: 'DISEASE' },
      { start: 15, end: 19, type: 'TREATMENT' },
    ],
  },
  { id: 'c', text: '无特殊。', entities: [] },
];

/** The text outside the entity spans, in order (what a replacement must leave untouched). */
function outside(d: Doc): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const e of [...d.entities].sort((x, y) => x.start - y.start)) {
    parts.push(d.text.slice(at, e.start));
    at = e.end;
  }
  parts.push(d.text.slice(at));
  return parts;
}

describe('augmentDocs', () => {
  const pools = entityPools(DOCS);

  it('pools: the distinct entity strings of each type, sorted', () => {
    expect(pools.get('DISEASE')).toEqual(['急性胃炎', '股骨颈骨折']);
    expect(pools.get('TREATMENT')).toEqual(['奥美拉唑', '手术']);
    expect([...pools.keys()]).toEqual(['BODY', 'DISEASE', 'SIGNS', 'TREATMENT']);
  });

  it('replaces entities by other strings of their type, moves the other spans and leaves the text between them alone', () => {
    const { docs, source } = augmentDocs(DOCS, pools, { copies: 3, prob: 1, seed: 1 });
    // prob 1 and two strings per type: every entity of a copy is replaced by the other string
    expect(source).toEqual([0, 0, 0, 1, 1, 1]);
    for (const [i, d] of docs.entries()) {
      const src = DOCS[source[i]];
      expect(d.id).toBe(`${src.id}#augment-${(i % 3) + 1}`);
      expect(outside(d)).toEqual(outside(src));
      expect(d.entities.map((e) => e.type)).toEqual(src.entities.map((e) => e.type));
      d.entities.forEach((e, k) => {
        const s = d.text.slice(e.start, e.end);
        expect(pools.get(e.type)).toContain(s);
        expect(s).not.toBe(src.text.slice(src.entities[k].start, src.entities[k].end));
      });
    }
    expect(docs[0].text).toBe('患者上腹部压痛3天，诊断为急性胃炎。予奥美拉唑治疗。');
  });

  it('is deterministic given the seed, and the seed matters', () => {
    const big = entityPools([
      ...DOCS,
      {
        id: 'd',
        text: '左膝关节肿胀，诊断为骨关节炎，予理疗。',
        entities: [
          { start: 0, end: 4, type: 'BODY' },
          { start: 4, end: 6, type: 'SIGNS' },
          { start: 10, end: 14, type: 'DISEASE' },
          { start: 16, end: 18, type: 'TREATMENT' },
        ],
      },
    ]);
    const a = augmentDocs(DOCS, big, { copies: 4, prob: 0.5, seed: 7 });
    const b = augmentDocs(DOCS, big, { copies: 4, prob: 0.5, seed: 7 });
    const c = augmentDocs(DOCS, big, { copies: 4, prob: 0.5, seed: 8 });
    expect(b).toEqual(a);
    expect(c.docs.map((d) => d.text)).not.toEqual(a.docs.map((d) => d.text));
    // a copy without any replacement is dropped; documents without entities give no copies
    for (const [i, d] of a.docs.entries()) expect(d.text).not.toBe(DOCS[a.source[i]].text);
    expect(a.source).not.toContain(2);
  });

  it('never replaces an entity that overlaps another, and keeps both spans on the same characters', () => {
    const nested: Doc = {
      id: 'n',
      text: '右侧上腹部疼痛。',
      entities: [
        { start: 0, end: 5, type: 'BODY' },
        { start: 2, end: 5, type: 'BODY' },
        { start: 5, end: 7, type: 'SIGNS' },
      ],
    };
    const { docs } = augmentDocs(
      [nested],
      new Map([
        ['BODY', ['左膝']],
        ['SIGNS', ['压痛', '肿胀']],
      ]),
      { copies: 2, prob: 1, seed: 3 },
    );
    expect(docs.length).toBe(2);
    for (const d of docs) {
      expect(d.text.slice(0, 5)).toBe('右侧上腹部');
      expect(d.entities.slice(0, 2)).toEqual(nested.entities.slice(0, 2));
      expect(['压痛', '肿胀']).toContain(d.text.slice(d.entities[2].start, d.entities[2].end));
    }
  });

  it('rejects bad options with exact messages', () => {
    expect(() => augmentDocs(DOCS, pools, { copies: -1, prob: 0.5, seed: 1 })).toThrow(
      'augmentDocs: copies must be an integer ≥ 0, got -1',
    );
    expect(() => augmentDocs(DOCS, pools, { copies: 1, prob: 0, seed: 1 })).toThrow(
      'augmentDocs: prob must be in (0, 1], got 0',
    );
    expect(() => augmentDocs(DOCS, pools, { copies: 1, prob: 0.5, seed: 1.5 })).toThrow(
      'augmentDocs: seed must be an integer ≥ 0, got 1.5',
    );
    expect(() => augmentDocs(DOCS, {} as Map<string, string[]>, { copies: 1, prob: 0.5, seed: 1 })).toThrow(
      'augmentDocs: expected pools to be a Map of type → strings, got object',
    );
  });
});

describe('augmented training sentences', () => {
  it("BIO tags cover exactly the new strings and no entity is cut (the trainer's featurization)", () => {
    const space = buildFeatureSpace(DOCS, { segmenter: 'jieba' });
    const f = featurizer(space);
    const { docs } = augmentDocs(DOCS, entityPools(DOCS), { copies: 2, prob: 1, seed: 5 });
    const set = docsToSentences(docs, space, f);
    expect(set.stats.entitiesCut).toBe(0);
    expect(set.stats.entitiesDropped).toBe(0);
    for (const ds of set.docs) {
      const found: string[] = [];
      ds.sentences.forEach((s, i) => {
        const o = ds.offsets[i];
        const spans = tagsToSpans(Array.from(s.tagIds, (t) => space.labels[t]));
        for (const sp of spans) found.push(`${sp.type}:${ds.doc.text.slice(o[sp.start], o[sp.end])}`);
      });
      expect(found).toEqual(ds.doc.entities.map((e) => `${e.type}:${ds.doc.text.slice(e.start, e.end)}`));
    }
  });

  it('replaces only the entities of augment.types, and rejects a type the documents do not have', () => {
    const space = buildFeatureSpace(DOCS, { segmenter: 'jieba' });
    const f = featurizer(space);
    const logs: string[] = [];
    const made = augmentedSentences(
      DOCS,
      space,
      f,
      null,
      augment({ copies: 1, prob: 1, types: ['DISEASE'] }),
      1,
      undefined,
      (l) => logs.push(l),
    );
    // doc a: only its second sentence holds a DISEASE; doc b: its one sentence
    expect(made.length).toBe(2);
    expect(logs).toEqual([
      'augment: 2 copies of 3 training documents, 2 changed sentences (replacement strings: DISEASE 2)',
    ]);
    expect(() =>
      augmentedSentences(DOCS, space, f, null, augment({ copies: 1, types: ['DRUG'] }), 1, undefined, () => {}),
    ).toThrow(
      'config: augment.types: "DRUG" is not an entity type of the training documents (BODY, DISEASE, SIGNS, TREATMENT)',
    );
  });

  it('the hook returns only the changed sentences, none when off, and says what it made', () => {
    const space = buildFeatureSpace(DOCS, { segmenter: 'jieba' });
    const f = featurizer(space);
    const logs: string[] = [];
    expect(augmentedSentences(DOCS, space, f, null, augment(), 1, undefined, (l) => logs.push(l))).toEqual([]);
    expect(logs).toEqual([]);
    const made = augmentedSentences(DOCS, space, f, null, augment({ copies: 1, prob: 1 }), 1, undefined, (l) =>
      logs.push(l),
    );
    // doc a: both sentences hold a replaced entity; doc b: its one sentence; doc c: no entity, no copy
    expect(made.length).toBe(3);
    expect(logs).toEqual([
      'augment: 2 copies of 3 training documents, 3 changed sentences (replacement strings: BODY 2, DISEASE 2, SIGNS 2, TREATMENT 2)',
    ]);
    expect(() =>
      augmentedSentences(
        DOCS,
        space,
        f,
        null,
        augment({ copies: 1, lexiconTypes: ['DISEASE'] }),
        1,
        undefined,
        () => {},
      ),
    ).toThrow('config: augment.lexiconTypes needs a segmenter lexicon (the config names no word list)');
    expect(() =>
      augmentedSentences(
        DOCS,
        space,
        f,
        null,
        augment({ copies: 1, lexiconTypes: ['DISEASES'] }),
        1,
        ['阑尾炎'],
        () => {},
      ),
    ).toThrow(
      'config: augment.lexiconTypes: "DISEASES" is not an entity type of the training documents (BODY, DISEASE, SIGNS, TREATMENT)',
    );
  });
});

describe('lexiconPools', () => {
  const train: Doc[] = ['肺炎', '胃炎', '肝炎', '肠炎', '阑尾切除术', '清创术', '缝合术', '气管插管'].map((s, i) => ({
    id: `t${i}`,
    text: s,
    entities: [{ start: 0, end: s.length, type: i < 4 ? 'DISEASE' : 'TREATMENT' }],
  }));

  it('types a word by its last character when enough training strings of one type end in it', () => {
    const pools = lexiconPools(['支气管炎', '胆囊切除术', '医院', '炎', '气管插管', '心包炎'], train, [
      'DISEASE',
      'TREATMENT',
    ]);
    expect(pools.get('DISEASE')).toEqual(['心包炎', '支气管炎']);
    expect(pools.get('TREATMENT')).toEqual(['胆囊切除术']); // 管: only one TREATMENT string ends in it
    expect(mergePools(entityPools(train), pools).get('DISEASE')).toEqual([
      '心包炎',
      '支气管炎',
      '肝炎',
      '肠炎',
      '肺炎',
      '胃炎',
    ]);
  });

  it('leaves out a word that training annotates as another type only, and a shared ending without a clear type', () => {
    const more: Doc[] = [...train, { id: 'x', text: '皮炎', entities: [{ start: 0, end: 2, type: 'SIGNS' }] }];
    expect(lexiconPools(['皮炎', '心包炎'], more, ['DISEASE']).get('DISEASE')).toEqual(['心包炎']);
    const mixed: Doc[] = [
      ...more,
      ...['红炎', '热炎'].map((s, i) => ({ id: `m${i}`, text: s, entities: [{ start: 0, end: 2, type: 'SIGNS' }] })),
    ];
    expect(lexiconPools(['心包炎'], mixed, ['DISEASE']).get('DISEASE')).toEqual([]); // 4 of 7 strings ending in 炎: below 0.8
  });
});

describe('config.augment', () => {
  it('defaults to off; the config schema validates it', () => {
    expect(augment()).toEqual({ copies: 0, prob: 0.5, lexiconTypes: [], types: [] });
    expect(augment({ copies: 2, prob: 0.3, lexiconTypes: ['DISEASE'] })).toEqual({
      copies: 2,
      prob: 0.3,
      lexiconTypes: ['DISEASE'],
      types: [],
    });
    expect(() => augment({ copy: 1 })).toThrow(
      'config: augment.copy: unknown field (known: copies, prob, lexiconTypes, types)',
    );
    expect(() => augment({ prob: 0 })).toThrow('config: augment.prob: must be > 0, got 0');
  });
});
