import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listFiles } from '../../src/io/corpus-io.js';
import { cner, ROOT } from './run-cli.js';

const DATA = path.resolve(ROOT, '../shared/data');
const CCKS = path.join(DATA, 'ccks2017', 'train');
const YIDU = path.join(DATA, 'yidu-s4k', 'train');
const present = existsSync(CCKS) && existsSync(YIDU);
if (!present) console.log(`[cli real-data] skipped: ${DATA} (CCKS 2017 and Yidu-S4K) is not present on this machine`);

interface Row {
  id: string;
  text: string;
  entities: Array<{ start: number; end: number; type: string; text?: string }>;
}

describe.skipIf(!present)('cner on the real corpora (subprocess)', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'cner-cli-real-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('eval of the CCKS gold against itself gives 100 everywhere', async () => {
    const r = await cner(['eval', '--gold', CCKS, '--pred', CCKS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.gold).toMatchObject({ docs: 1198, entities: 29866 });
    for (const set of [report.strict, report.relaxed]) {
      expect(set.micro).toMatchObject({ gold: 29866, pred: 29866, precision: 1, recall: 1, f1: 1 });
      expect(set.macro).toEqual({ precision: 1, recall: 1, f1: 1 });
    }
    expect(report.errors).toMatchObject({ correct: 29866, type: 0, boundary: 0, boundaryType: 0, missed: 0, spurious: 0 });
  });

  it('eval against a copy with every end shifted by one: strict 0, relaxed still 100, all boundary errors', async () => {
    const gold = path.join(tmp, 'gold.jsonl');
    expect((await cner(['convert', '--to', 'jsonl', CCKS, gold])).code).toBe(0);
    const rows = (await readFile(gold, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);
    let shifted = 0;
    for (const row of rows) {
      for (const e of row.entities) {
        expect(e.end).toBeLessThan(row.text.length); // every CCKS text ends with non-entity characters
        e.end += 1;
        delete e.text;
        shifted++;
      }
    }
    expect(shifted).toBe(29866);
    const pred = path.join(tmp, 'shifted.jsonl');
    await writeFile(pred, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await cner(['eval', '--gold', CCKS, '--pred', pred, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.strict.micro).toMatchObject({ gold: 29866, pred: 29866, matchedGold: 0, precision: 0, recall: 0, f1: 0 });
    expect(report.relaxed.micro).toMatchObject({ matchedGold: 29866, matchedPred: 29866, precision: 1, recall: 1, f1: 1 });
    expect(report.errors).toMatchObject({ correct: 0, type: 0, boundary: 29866, boundaryType: 0, missed: 0, spurious: 0 });
    expect(report.confusion.BODY['(missed)']).toBe(10719);
    const table = await cner(['eval', '--gold', CCKS, '--pred', pred, '--relaxed']);
    expect(table.stdout).toMatch(/^micro\s+29866\s+29866\s+0\s+0\.00\s+0\.00\s+0\.00\s+100\.00\s+100\.00\s+100\.00$/m);
  });

  it('ccks → bio → ccks via the CLI reproduces every file byte for byte', async () => {
    const bio = path.join(tmp, 'all.bio');
    const back = path.join(tmp, 'back');
    expect((await cner(['convert', '--to', 'bio', CCKS, bio])).code).toBe(0);
    const r = await cner(['convert', '--to', 'ccks', bio, back]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('converted 1198 documents (29866 entities) from bio to ccks');
    const original = await listFiles(CCKS);
    expect(original).toHaveLength(2396);
    let different = 0;
    for (const f of original) {
      const twin = path.join(back, path.relative(CCKS, f));
      if (Buffer.compare(await readFile(twin), await readFile(f)) !== 0) different++;
    }
    expect(different).toBe(0);
  });

  it('split of CCKS keeps records whole; Yidu reads and evaluates by position', async () => {
    const out = path.join(tmp, 'split');
    const r = await cner(['split', CCKS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, 'split-manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ seed: 2017, recordKey: 'ccks-record', records: 300 });
    expect(manifest.test.records).toHaveLength(30);
    expect(manifest.test.records.slice(0, 3)).toEqual(['5', '11', '38']);
    const yidu = path.join(tmp, 'yidu.jsonl');
    expect((await cner(['convert', '--to', 'jsonl', YIDU, yidu])).stdout).toContain('converted 1000 documents (17653 entities) from yidu');
    const asYidu = path.join(tmp, 'yidu-again.txt');
    expect((await cner(['convert', '--to', 'yidu', yidu, asYidu])).code).toBe(0);
    const e = await cner(['eval', '--gold', YIDU, '--pred', asYidu, '--json']); // ids positional on both sides
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).strict.micro).toMatchObject({ gold: 17653, f1: 1 });
  });
});
