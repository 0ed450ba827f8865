/** `cner train` end to end on small synthetic corpora (tiny network, one epoch). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../../src/io/corpus-io.js';
import { readModel } from '../../src/model/format.js';
import { createTagger } from '../../src/tagger.js';
import { evaluateModel } from '../../src/train/evaluate.js';
import { readSplit } from '../../src/train/run.js';
import { cner, ROOT } from '../cli/run-cli.js';
import { YIDU_TERMS, ccksLikeDocs, pipelineWorkspace, writeJsonl, writeYidu } from './fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());
const kernels = () => new Uint8Array(readFileSync(join(ROOT, 'build', 'kernels.wasm')));

describe('cner train', () => {
  it('--help lists the options', async () => {
    const r = await cner(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--config', '--data', '--out', '--segmenter', '--char-emb', '--word-emb', '--max-minutes', '--seed', '--resume', '--workers']) {
      expect(r.stdout).toContain(flag);
    }
    const all = await cner(['--help']);
    expect(all.stdout).toMatch(/train\s+train a BiLSTM-CRF model/);
  });

  it('trains on a small corpus: models the tagger loads, metrics.json, and the document-level table', async () => {
    const out = join(ws.dir, 'run-jsonl');
    const r = await cner(['train', '--config', ws.tinyConfig, '--data', ws.corpus, '--out', out, '--unlabeled', ws.unlabeled, '--seed', '3']);
    expect(r.stderr).toContain('epoch 1/1');
    expect(r.code).toBe(0);
    // the table: both consistency settings, every type, strict and relaxed columns
    expect(r.stdout).toContain('consistency check on');
    expect(r.stdout).toContain('consistency check off');
    for (const t of ['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT', 'micro', 'macro']) expect(r.stdout).toMatch(new RegExp(`^${t}\\s`, 'm'));
    expect(r.stdout).toMatch(/strict P .* relaxed P/);

    for (const f of ['model.cner', 'model.q8.cner', 'metrics.json', 'summary.json', 'curve.svg']) expect(existsSync(join(out, f))).toBe(true);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.config.seed).toBe(3);
    expect(metrics.split.seed).toBe(2017);
    expect(metrics.test.f32.consistency.types).toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);

    // the int8 model loads in the tagger and tags
    const q8 = new Uint8Array(readFileSync(join(out, 'model.q8.cner')));
    const header = readModel(q8).header;
    expect(header.quantization?.scheme).toBe('int8-per-row');
    expect(header.tags.labels).toHaveLength(11);
    expect(header.training?.seed).toBe(3);
    const tagger = await createTagger({ model: q8, kernels: kernels() });
    const res = tagger.tag('患者腹部压痛三天。');
    expect(Array.isArray(res.entities)).toBe(true);

    // the figures in metrics.json and in the header are those evaluateModel gives for the same file and test split
    const { split } = await readSplit(ws.corpus);
    const again = await evaluateModel(new Uint8Array(readFileSync(join(out, 'model.cner'))), split.test);
    expect(again.withConsistency.strict.micro).toEqual(metrics.test.f32.consistency.strict.micro);
    expect(again.withoutConsistency.relaxed.micro).toEqual(metrics.test.f32.noConsistency.relaxed.micro);
    const testDocs = (readModel(new Uint8Array(readFileSync(join(out, 'model.cner')))).header.training?.metrics as Record<string, any>).testDocuments;
    expect(testDocs.level).toBe('document');
    expect(testDocs.consistency.strict.micro).toEqual(again.withConsistency.strict.micro);
    expect(Object.keys(testDocs.noConsistency.relaxed.perType).sort()).toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);

    // an existing run is not overwritten by accident
    const again2 = await cner(['train', '--config', ws.tinyConfig, '--data', ws.corpus, '--out', out]);
    expect(again2.code).toBe(2);
    expect(again2.stderr).toMatch(/--resume.*--force/);
  });

  it('works for another label set (Yidu-S4K lines, --format yidu, --segmenter none, 2 workers)', async () => {
    const file = join(ws.dir, 'yidu.txt');
    writeYidu(file);
    const out = join(ws.dir, 'run-yidu');
    const r = await cner(['train', '--config', ws.tinyConfig, '--data', file, '--format', 'yidu', '--out', out, '--segmenter', 'none', '--workers', '2', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // the reader names the Yidu labels (解剖部位 → ANATOMY, …); whatever it yields is the model's tag set
    const { docs } = await readCorpus(file, { format: 'yidu' });
    const types = [...new Set(docs.flatMap((d) => d.entities.map((e) => e.type)))].sort();
    expect(types).toHaveLength(Object.keys(YIDU_TERMS).length);
    expect(types).not.toEqual(['BODY', 'CHECK', 'DISEASE', 'SIGNS', 'TREATMENT']);
    const header = readModel(new Uint8Array(readFileSync(join(out, 'model.q8.cner')))).header;
    expect(header.tags.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2)).sort()).toEqual(types);
    expect(header.segmenter.kind).toBe('none');
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.test.int8.consistency.types).toEqual(types);
    for (const t of types) expect(r.stdout).toMatch(new RegExp(`^${t}\\s`, 'm'));
  });

  it('works for labels no reader knows (project JSONL with made-up types)', async () => {
    const file = join(ws.dir, 'custom.jsonl');
    const rename: Record<string, string> = { BODY: 'X部位', SIGNS: 'Y', CHECK: 'Z', DISEASE: 'Z', TREATMENT: 'W' };
    const docs = ccksLikeDocs(30, 5).map((d) => ({ ...d, entities: d.entities.map((e) => ({ ...e, type: rename[e.type] })) }));
    writeJsonl(file, docs);
    const out = join(ws.dir, 'run-custom');
    const r = await cner(['train', '--config', ws.tinyConfig, '--data', file, '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const header = readModel(new Uint8Array(readFileSync(join(out, 'model.cner')))).header;
    expect(header.tags.labels).toEqual(['O', 'B-W', 'I-W', 'B-X部位', 'I-X部位', 'B-Y', 'I-Y', 'B-Z', 'I-Z']);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.test.f32.noConsistency.types).toEqual(['W', 'X部位', 'Y', 'Z']);
  });

  it('rejects bad configs and command lines with exit code 2 and a message naming the problem', async () => {
    const bad = (name: string, body: string) => {
      const p = join(ws.dir, name);
      writeFileSync(p, body);
      return p;
    };
    const args = (cfg: string) => ['train', '--config', cfg, '--data', ws.corpus, '--out', join(ws.dir, 'never')];
    const unknown = await cner(args(bad('unknown.json', '{"lstm": [8], "hidden": 5}')));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`config ${join(ws.dir, 'unknown.json')}: hidden: unknown field (known: `);
    const notJson = await cner(args(bad('broken.json', '{"lstm": [8],')));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('cannot read JSON');
    const badValue = await cner(args(bad('dropout.json', '{"dropout": 1.5}')));
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('dropout.json: dropout: must be < 1, got 1.5');
    const badPretrain = await cner(args(bad('pretrain.json', '{"pretrain": {"iterations": 0}}')));
    expect(badPretrain.code).toBe(2);
    expect(badPretrain.stderr).toContain('pretrain.json: pretrain.iterations: must be ≥ 1, got 0');
    const missing = await cner(['train', '--data', ws.corpus]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out is required');
    const seg = await cner(['train', '--data', ws.corpus, '--out', join(ws.dir, 'never'), '--segmenter', 'hmm']);
    expect(seg.code).toBe(2);
    expect(seg.stderr).toContain('--segmenter');
    const emb = await cner(['train', '--data', ws.corpus, '--out', join(ws.dir, 'never'), '--char-emb', join(ws.dir, 'nope.vec')]);
    expect(emb.code).toBe(2);
    expect(existsSync(join(ws.dir, 'never'))).toBe(false);
  });
});
