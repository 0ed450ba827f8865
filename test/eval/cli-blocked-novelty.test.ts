/** The CLI options of issue 16: `cner split --split blocked`, `cner eval --train`, `cner train --split` (usage only). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cner } from '../cli/run-cli.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'cner-blocked-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const line = (id: string, text: string, entities: [number, number, string][]) =>
  JSON.stringify({ id, text, entities: entities.map(([start, end, type]) => ({ start, end, type })) });

describe('cner split --split blocked', () => {
  it('puts the last 10 % of record ids in test and the 10 % before in dev (ids in numeric order, any input order)', async () => {
    // 20 documents with ids 20..1 (descending): blocked at 80/10/10 → train 1–16, dev 17–18, test 19–20
    const input = path.join(tmp, 'corpus.jsonl');
    await writeFile(input, Array.from({ length: 20 }, (_, i) => line(String(20 - i), '头痛', [[0, 2, 'SIGNS']])).join('\n') + '\n');
    const out = path.join(tmp, 'blocked');
    const r = await cner(['split', input, '--out', out, '--split', 'blocked']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/split 20 records \(key doc-id, blocked by record id, ratios 80,10,10\)/);
    const manifest = JSON.parse(await readFile(path.join(out, 'split-manifest.json'), 'utf8'));
    expect(manifest.mode).toBe('blocked');
    expect(manifest.test.records).toEqual(['19', '20']);
    expect(manifest.dev.records).toEqual(['17', '18']);
    expect(manifest.train.records).toHaveLength(16);
    const ids = (await readFile(path.join(out, 'test.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).id);
    expect(ids).toEqual(['20', '19']); // input order within a side

    const random = await cner(['split', input, '--out', path.join(tmp, 'random')]);
    expect(random.code).toBe(0);
    expect(random.stdout).toMatch(/seed 2017/);
    expect(JSON.parse(await readFile(path.join(tmp, 'random', 'split-manifest.json'), 'utf8'))).not.toHaveProperty('mode');
  });

  it('refuses an unknown mode', async () => {
    const r = await cner(['split', 'x', '--out', path.join(tmp, 'never'), '--split', 'contiguous']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option --split: expected random or blocked, got 'contiguous'/);
  });
});

describe('cner eval --train', () => {
  it('adds seen / unseen strict scores (table and JSON); without --train there are none', async () => {
    const train = path.join(tmp, 'train.jsonl');
    const gold = path.join(tmp, 'gold.jsonl');
    const pred = path.join(tmp, 'pred.jsonl');
    await writeFile(train, line('t1', '头痛腹部', [[0, 2, 'SIGNS'], [2, 4, 'BODY']]) + '\n');
    // gold: 头痛 SIGNS (seen), 胸痛 SIGNS (unseen), 腹部 BODY (seen); pred finds 头痛 and 胸痛, misses 腹部
    await writeFile(gold, line('d1', '头痛胸痛腹部', [[0, 2, 'SIGNS'], [2, 4, 'SIGNS'], [4, 6, 'BODY']]) + '\n');
    await writeFile(pred, line('d1', '头痛胸痛腹部', [[0, 2, 'SIGNS'], [2, 4, 'SIGNS']]) + '\n');
    const r = await cner(['eval', '--gold', gold, '--pred', pred, '--train', train]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Seen and unseen entities \(strict; .* 2 distinct training entities\)/);
    // seen: gold 2, pred 1, matched 1 → P 100, R 50, F1 66.67; unseen: gold 1, pred 1, matched 1
    expect(r.stdout).toMatch(/^micro\s+2\s+100\.00\s+50\.00\s+66\.67\s+1\s+100\.00\s+100\.00\s+100\.00$/m);
    const j = await cner(['eval', '--gold', gold, '--pred', pred, '--train', train, '--json']);
    const report = JSON.parse(j.stdout);
    expect(report.train).toMatchObject({ docs: 1, entities: 2 });
    expect(report.novelty.unseen.perType.SIGNS).toMatchObject({ gold: 1, pred: 1, matchedGold: 1 });
    expect(report.novelty.seen.perType.BODY).toMatchObject({ gold: 1, pred: 0, recall: 0 });
    const plain = await cner(['eval', '--gold', gold, '--pred', pred, '--json']);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('novelty');
    const missing = await cner(['eval', '--gold', gold, '--pred', pred, '--train', path.join(tmp, 'nope.jsonl')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/training corpus/);
  });
});

describe('cner train --split', () => {
  it('refuses an unknown mode before reading any data', async () => {
    const r = await cner(['train', '--data', path.join(tmp, 'train.jsonl'), '--out', path.join(tmp, 'run'), '--split', 'shuffled']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option --split: expected random or blocked, got 'shuffled'/);
  });
});
