/** scripts/train-default.ts on a tiny budget: every step, --resume skipping, --install, and the model card. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunConfig } from '../../src/train/run-config.js';
import { readModel } from '../../src/model/format.js';
import { readWord2VecText } from '../../src/train/embed/index.js';
import { CCKS2017, ROOT, buildRunSegmenter, modelCard, trainDefault } from '../../scripts/train-default.js';
import { readSplit, readUnlabeled } from '../../src/train/run.js';
import { type RunFigures, chooseOnDev, recipeFigures } from '../../scripts/selection.js';
import { ccksLikeDocs, pipelineWorkspace, writeJsonl } from './fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());
const TYPES = ['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT'];

describe('configs/default.json and configs/paper.json', () => {
  it('default: the paper network with plain jieba and the weight average, the default-model budget and word2vec settings', () => {
    const { config, pretrain, segmenter } = loadRunConfig(join(ROOT, 'configs', 'default.json'));
    expect(config).toMatchObject({ charDim: 50, wordDim: 50, lstm: [128, 64], dropout: 0.5, crf: true, batchSize: 16, epochs: 40, patience: 6, workers: 2 });
    expect(config).toMatchObject({ ema: 0.999, bigramDim: 0, lexDim: 0, wordPositions: false });
    expect(segmenter).toBe('jieba');
    expect(config.optimizer).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 5 });
    expect(config.embeddings).toEqual({});
    expect(pretrain).toMatchObject({ iterations: 100, window: 4 });
  });

  it('paper: the same network and budget without the weight average, with the entity dictionary in the segmenter', () => {
    const paper = loadRunConfig(join(ROOT, 'configs', 'paper.json'));
    const shipped = loadRunConfig(join(ROOT, 'configs', 'default.json'));
    expect(paper.segmenter).toBe('jieba+entities');
    expect(paper.config.ema).toBe(0);
    expect({ ...paper.config, ema: 0.999 }).toEqual(shipped.config);
    expect(paper.pretrain).toEqual(shipped.pretrain);
  });
});

describe('train-default', () => {
  it('runs every step, skips finished steps with --resume, installs, and writes the model card', async () => {
    const out = join(ws.dir, 'default');
    const models = join(ws.dir, 'models');
    const logs: string[] = [];
    const opts = { data: ws.corpus, unlabeled: ws.unlabeled, out, config: ws.tinyConfig, modelsDir: models, log: (s: string) => logs.push(s), progress: false as const };
    const first = await trainDefault(opts);
    expect(first.skipped).toEqual([]);
    for (const f of ['segmenter.json', 'vectors/char.vec', 'vectors/word.vec', 'train/model.cner', 'train/model.q8.cner', 'metrics.json', 'MODEL_CARD.md', 'timing.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(existsSync(join(models, 'default.cner'))).toBe(false); // no --install

    // the model's segmenter is segmenter.json, and the word vectors' tokens are words of that segmenter
    const spec = JSON.parse(readFileSync(join(out, 'segmenter.json'), 'utf8'));
    const header = readModel(new Uint8Array(readFileSync(join(out, 'train', 'model.q8.cner')))).header;
    expect(header.segmenter).toEqual(spec);
    expect(spec.variant).toBe('jieba+entities');
    const words = readWord2VecText(readFileSync(join(out, 'vectors', 'word.vec'), 'utf8'));
    expect(words.dim).toBe(8);
    const vocab = new Set(header.vocab.words);
    expect(words.vocab.every((w) => vocab.has(w))).toBe(true);
    expect(header.training?.license).toBe(CCKS2017.terms);

    // --resume: nothing is redone; --install copies the int8 model and the card
    const second = await trainDefault({ ...opts, resume: true, install: true });
    expect(second.skipped).toEqual(['1/6 segmenter', '2/6 char vectors', '2/6 word vectors', '3/6 training', '4/6 metrics']);
    expect(readFileSync(join(models, 'default.cner'))).toEqual(readFileSync(join(out, 'train', 'model.q8.cner')));
    const card = readFileSync(join(models, 'default.md'), 'utf8');
    expect(card).toBe(second.card);
    expect(card).toContain(CCKS2017.terms);
    expect(card).toMatch(/research use only/i);
    for (const t of TYPES) expect(card).toMatch(new RegExp(`^\\| ${t} \\|`, 'm'));
    expect(card).toContain('## Reproduce');
    expect(card).toMatch(/git commit `[0-9a-f]{40}`|git commit `unknown/);
    expect(card).toContain(`Node ${process.version}`);
    expect(card).toContain('seed 2017');
    // the figures in the card are those of metrics.json
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const micro = (100 * metrics.test.int8.consistency.strict.micro.f1).toFixed(2);
    expect(card).toContain(`| **micro** | ${metrics.test.int8.consistency.strict.micro.gold} | `);
    expect(card).toContain(`**${micro}**`);

    // without --resume a non-empty folder is refused
    await expect(trainDefault(opts)).rejects.toThrow(/--resume.*--force/);
    expect(readdirSync(out)).toContain('MODEL_CARD.md');
  });

  it('a final fit (trainOn train+dev): segmenter, vectors and network see the train and dev records; the card says so', async () => {
    const out = join(ws.dir, 'final-fit');
    const config = join(ws.dir, 'final-fit.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(ws.tinyConfig, 'utf8')), trainOn: 'train+dev', epochs: 2, patience: 1 }));
    // one dev document gets an entity (and characters) found nowhere else in the corpus or the unlabeled text
    const docs = ccksLikeDocs();
    const devId = (await readSplit(ws.corpus)).split.dev[0].id;
    const d = docs.find((x) => x.id === devId)!;
    const ONLY_DEV = '龋齿裂隙';
    d.entities.push({ start: d.text.length + 1, end: d.text.length + 1 + ONLY_DEV.length, type: 'DISEASE' });
    d.text += `见${ONLY_DEV}。`;
    const corpus = join(ws.dir, 'final-fit.jsonl');
    writeJsonl(corpus, docs);
    const { split } = await readSplit(corpus);
    expect(split.dev.map((x) => x.id)).toContain(devId);
    const r = await trainDefault({ data: corpus, unlabeled: ws.unlabeled, out, config, modelsDir: join(ws.dir, 'models-ff'), log: () => {}, progress: false });
    const spec = JSON.parse(readFileSync(join(out, 'segmenter.json'), 'utf8'));
    expect(spec).toEqual(buildRunSegmenter([...split.train, ...split.dev], readUnlabeled(ws.unlabeled), 'jieba+entities'));
    expect(spec.words).toContain(ONLY_DEV);
    expect(readWord2VecText(readFileSync(join(out, 'vectors', 'char.vec'), 'utf8')).vocab).toContain('龋');
    const header = readModel(new Uint8Array(readFileSync(join(out, 'train', 'model.q8.cner')))).header;
    expect(header.segmenter).toEqual(spec); // runTraining built the same one from the same documents
    expect(header.training?.config).toMatchObject({ trainOn: 'train+dev', epochs: 2 });
    expect(r.summary.history).toHaveLength(2);
    expect(r.summary.best.epoch).toBe(2);
    expect(r.card).toContain('A final fit: the network was trained on the train and dev parts together for a fixed 2 epochs');
    expect(r.card).toContain('the train + dev split texts');
    expect(r.card).toContain('2 epochs on train + dev, the last kept');
  });

  it("a refit on every record (trainOn all): needs the selection runs' figures, trains on every record, and the card states those figures", async () => {
    const config = join(ws.dir, 'refit.json');
    const pseudo = join(ws.dir, 'pseudo.jsonl');
    writeJsonl(pseudo, ccksLikeDocs(4, 11));
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(ws.tinyConfig, 'utf8')), trainOn: 'all', epochs: 2, patience: 1, extraTrain: [pseudo] }));
    const base = { data: ws.corpus, unlabeled: ws.unlabeled, config, modelsDir: join(ws.dir, 'models-all'), log: () => {}, progress: false as const };
    await expect(trainDefault({ ...base, out: join(ws.dir, 'refit-none') })).rejects.toThrow(/trainOn 'all'.*--selection FILE/);
    // the selection figures: two recipes on the blocked split (made-up numbers: only their rendering is checked)
    const run = (seed: number, dev: number, strict: number, unseen: number): RunFigures => ({
      dir: `runs/x-${seed}`, split: 'blocked', seed, bestEpoch: 9, devF1: dev, strict, relaxed: 93, seen: 92, unseen, unseenPrecision: unseen, unseenRecall: unseen,
      perType: { BODY: 85, DISEASE: 74 }, int8Bytes: 1_100_000,
    });
    const recipes = [recipeFigures('default', [run(1, 89.6, 89.3, 60), run(2, 89.7, 89.4, 59)]), recipeFigures('better', [run(1, 90.1, 90.2, 65), run(2, 90.3, 90.0, 66)])];
    const file = join(ws.dir, 'selection.json');
    writeFileSync(file, JSON.stringify({ data: 'x', date: '2026-12-05T00:00:00.000Z', baseline: 'default', chosen: chooseOnDev(recipes), recipes }));
    await expect(trainDefault({ ...base, out: join(ws.dir, 'refit-bad'), selection: { file, recipe: 'nope' } })).rejects.toThrow(/"nope" is not among the recipes .*\(default, better\)/);
    const out = join(ws.dir, 'refit');
    const r = await trainDefault({ ...base, out, selection: { file, recipe: 'better' } });
    const docs = ccksLikeDocs();
    expect((r.summary.data.train as { docs: number }).docs).toBe(docs.length);
    expect((r.summary.data.test as { docs: number }).docs).toBe(0);
    const spec = JSON.parse(readFileSync(join(out, 'segmenter.json'), 'utf8'));
    const { split } = await readSplit(ws.corpus);
    expect(spec).toEqual(buildRunSegmenter([...split.train, ...split.dev, ...split.test], readUnlabeled(ws.unlabeled), 'jieba+entities'));
    expect(r.card).toContain('A refit on every record: the network was trained on the train, dev and test parts together for a fixed 2 epochs');
    expect(r.card).toContain('## Figures (selection runs)');
    expect(r.card).not.toContain('## Test results');
    expect(r.card).toMatch(/^\| \*\*better\*\* \| blocked \| 1, 2 \| 9, 9 \| 90\.20 ± 0\.14 \| 90\.10 ± 0\.14 \| \+0\.75 \|/m);
    expect(r.card).toMatch(/^\| default \| blocked \|/m);
    expect(r.card).toContain('2 epochs on every record, the last kept');
    expect(r.card).toMatch(/^- every record \(\d+\) trained the network; the split's dev records \(.+\) and test records \(.+\) served the selection runs only$/m);
    expect(r.card).not.toContain('- train records: the other');
    expect(r.card).toMatch(/^\| extra training documents \| `pseudo\.jsonl`: 4 documents, \d+ characters, \d+ entities \(config extraTrain/m);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'))).toMatchObject({ heldOut: null, recipe: 'better' });
  });

  it('the model card names every type of another label set and carries the terms line', () => {
    const prf = (f1: number) => ({ gold: 10, pred: 10, matchedGold: 8, matchedPred: 8, precision: f1, recall: f1, f1 });
    const set = (types: string[]) => ({
      micro: prf(0.8),
      macro: { precision: 0.8, recall: 0.8, f1: 0.8 },
      perType: Object.fromEntries(types.map((t) => [t, prf(0.8)])),
    });
    const types = ['药物', '手术', '解剖部位'];
    const dm = { level: 'document' as const, docs: 3, consistency: { strict: set(types), relaxed: set(types) }, noConsistency: { strict: set(types), relaxed: set(types) } };
    const terms = 'Terms: a made-up corpus, research use only.';
    const info: Parameters<typeof modelCard>[0] = {
      title: 'test card',
      modelPath: 'models/x.cner',
      corpus: { name: 'made-up', description: 'synthetic', terms },
      config: loadRunConfig(join(ROOT, 'configs', 'default.json')).config,
      pretrain: { iterations: 100, window: 4, minCount: 5, negative: 5, seed: 1, threads: 1, corpus: 'none' },
      segmenter: { variant: 'jieba+entities', words: 10 },
      split: { seed: 2017, recordKey: 'doc-id', train: ['1', '2', '3', '5'], dev: ['4'], test: ['6'] },
      data: { train: { docs: 4 }, dev: { docs: 1 }, test: { docs: 1 } },
      params: 1234,
      vocab: { chars: 10, words: 10 },
      labels: ['O', ...types.flatMap((t) => [`B-${t}`, `I-${t}`])],
      best: { epoch: 3, devF1: 0.8 },
      stoppedBy: 'patience',
      epochsRun: 9,
      metrics: { f32: dm, int8: dm },
      models: { f32: { path: 'a', bytes: 2048, sha256: 'f'.repeat(64) }, int8: { path: 'b', bytes: 1024, sha256: 'e'.repeat(64) } },
      timing: { training: 60 },
      reproduce: 'npm run train:default',
      provenance: { commit: 'a'.repeat(40), dirty: false, date: '2026-01-01T00:00:00Z', node: 'v20', platform: 'linux-x64', cpus: '2 × cpu' },
    };
    const card = modelCard(info);
    expect(card).toContain(`**Research use only.** ${terms}`);
    for (const t of types) expect(card).toContain(`| ${t} | 10 | 80.00 |`);
    expect(card).toContain('test records (1): 6');
    expect(card).toContain('2 training workers');
    expect(card).toContain('seed 2017');
    expect(card).not.toMatch(/unseen/);

    // a blocked split and seen / unseen scores (issue 16): the card names the split and prints both classes
    const novelty = { trainEntities: 42, seen: set(types), unseen: { ...set(types), micro: { ...prf(0.5), gold: 3 } } };
    const blocked = modelCard({ ...info, split: { ...info.split, mode: 'blocked' }, metrics: { f32: { ...dm, novelty }, int8: { ...dm, novelty } } });
    expect(blocked).toContain('blocked: the records in id order, test = the last 10 %');
    expect(blocked).toContain('### Seen and unseen entities (int8, strict)');
    expect(blocked).toContain('(42 distinct)');
    expect(blocked).toContain('| **micro** | 10 | 80.00 | 80.00 | 80.00 | 3 | 50.00 | 50.00 | 50.00 |');
  });
});
