import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/hosts/cli/main.js';
import { commands } from '../../src/hosts/cli/commands/index.js';
import { listFiles } from '../../src/io/corpus-io.js';
import { cner } from './run-cli.js';

const FIX = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'cner-cli-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('cner dispatcher', () => {
  it('lists the commands; each command module has the contract shape', async () => {
    const r = await cner(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['convert', 'split', 'eval']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const entry of commands) {
      const c = await entry.load();
      expect(c.name).toBe(entry.name);
      expect(c.summary).toBe(entry.summary); // the lazy listing matches the module
      expect(c.usage).toContain(`cner ${c.name}`);
      expect(typeof c.run).toBe('function');
    }
  });

  it('shows a command\'s options with --help', async () => {
    const r = await cner(['convert', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cner convert');
    expect(r.stdout).toContain('--to FMT');
    expect((await cner(['help', 'eval'])).stdout).toContain('--relaxed');
  });

  it('usage errors exit 2 and name the problem', async () => {
    const unknown = await cner(['convert', '--bogus', 'a', 'b']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'--bogus'");
    const command = await cner(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    expect((await cner([])).code).toBe(2);
    const missing = await cner(['convert', '--to', 'jsonl', 'only-one']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('INPUT OUTPUT');
    const format = await cner(['convert', '--to', 'xml', 'a', 'b']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("unknown format 'xml'");
    const seed = await cner(['split', 'x', '--out', 'y', '--seed', 'abc']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain('--seed');
  });

  it('failures exit 1 (in-process dispatch too)', async () => {
    const r = await cner(['convert', '--to', 'jsonl', path.join(tmp, 'does-not-exist'), path.join(tmp, 'x.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cner convert: /);
    let ran: string[] = [];
    const code = await main(['fake', '--x'], [
      { name: 'fake', summary: 's', usage: 'cner fake', run: async (argv) => ((ran = argv), 0) },
    ]);
    expect([code, ran]).toEqual([0, ['--x']]);
    expect(await main(['boom'], [{ name: 'boom', summary: 's', usage: 'cner boom', run: async () => { throw new Error('broken'); } }])).toBe(1);
  });
});

describe('cner convert', () => {
  it('ccks → bio → ccks is byte-identical', async () => {
    const bio = path.join(tmp, 'c.bio');
    const back = path.join(tmp, 'ccks-back');
    const a = await cner(['convert', '--to', 'bio', path.join(FIX, 'ccks'), bio]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('converted 4 documents (8 entities) from ccks to bio');
    const b = await cner(['convert', '--from', 'bio', '--to', 'ccks', bio, back]);
    expect(b.code, b.stderr).toBe(0);
    const original = await listFiles(path.join(FIX, 'ccks'));
    for (const f of original) {
      const twin = path.join(back, path.relative(path.join(FIX, 'ccks'), f));
      expect(Buffer.compare(await readFile(twin), await readFile(f)), f).toBe(0);
    }
    const again = await cner(['convert', '--to', 'bio', path.join(FIX, 'ccks'), bio]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    expect((await cner(['convert', '--to', 'bio', '--force', path.join(FIX, 'ccks'), bio])).code).toBe(0);
  });

  it('fails on misaligned spans listing each one, or skips them with --lenient; never prints clinical text', async () => {
    const strict = await cner(['convert', '--to', 'jsonl', path.join(FIX, 'ccks-bad'), path.join(tmp, 'bad.jsonl')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('4 corpus issues');
    expect(strict.stderr).toContain('病史特点-3.txt:2');
    const lenient = await cner(['convert', '--lenient', '--to', 'jsonl', path.join(FIX, 'ccks-bad'), path.join(tmp, 'bad.jsonl')]);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toContain('4 issues');
    expect(lenient.stdout).toContain('converted 2 documents (1 entities)');
    for (const s of [strict.stderr, lenient.stderr]) for (const fragment of ['头痛', '三天', '腹胀']) expect(s).not.toContain(fragment);
  });
});

describe('cner split', () => {
  it('writes train/dev/test JSON lines and a manifest, records kept whole', async () => {
    const out = path.join(tmp, 'split');
    const r = await cner(['split', path.join(FIX, 'ccks'), '--out', out, '--ratios', '50,0,50', '--seed', '3']);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, 'split-manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ seed: 3, ratios: [50, 0, 50], recordKey: 'ccks-record', records: 2, format: 'ccks' });
    expect([...manifest.train.records, ...manifest.test.records].sort()).toEqual(['1', '2']);
    expect(manifest.dev.records).toEqual([]);
    for (const side of ['train', 'test']) {
      const lines = (await readFile(path.join(out, `${side}.jsonl`), 'utf8')).trim().split('\n');
      const ids = lines.map((l) => (JSON.parse(l) as { id: string }).id);
      expect(new Set(ids.map((id) => id.split('-')[1]))).toEqual(new Set(manifest[side].records));
      expect(ids).toHaveLength(2); // both sections of the record
    }
    expect((await readFile(path.join(out, 'dev.jsonl'), 'utf8'))).toBe('');
    const same = await cner(['split', path.join(FIX, 'ccks'), '--out', out, '--ratios', '50,0,50', '--seed', '3', '--force']);
    expect(same.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, 'split-manifest.json'), 'utf8'))).toEqual(manifest);
  });
});

describe('cner eval', () => {
  it('prints tables, or JSON with --json', async () => {
    const pred = path.join(tmp, 'pred.jsonl');
    // prediction: every gold entity of the fixture, except that 右髋部 is typed SIGNS and 压痛 is cut short
    const conv = await cner(['convert', '--to', 'jsonl', path.join(FIX, 'ccks'), pred, '--force']);
    expect(conv.code).toBe(0);
    const lines = (await readFile(pred, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; entities: Array<{ start: number; end: number; type: string; text?: string }> });
    lines[0].entities[0].type = 'SIGNS'; // 一般项目-1 右髋部 BODY → SIGNS
    const h = lines.find((l) => l.id === '病史特点-1')!;
    h.entities[1].end -= 1; // 压痛 → 压
    delete h.entities[1].text;
    await writeFile(pred, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const table = await cner(['eval', '--gold', path.join(FIX, 'ccks'), '--pred', pred, '--relaxed']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^micro\s+8\s+8\s+6\s+75\.00\s+75\.00\s+75\.00\s+87\.50\s+87\.50\s+87\.50$/m);
    const json = await cner(['eval', '--gold', path.join(FIX, 'ccks'), '--pred', pred, '--json', '--conlleval']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.gold).toMatchObject({ format: 'ccks', docs: 4, entities: 8 });
    expect(report.strict.micro).toMatchObject({ gold: 8, pred: 8, matchedGold: 6 });
    expect(report.errors).toMatchObject({ correct: 6, type: 1, boundary: 1, missed: 0, spurious: 0 });
    expect(report.confusion.BODY.SIGNS).toBe(1);
    expect(report.conlleval).toMatchObject({ foundGold: 8, foundPred: 8, correct: 6 });
    const usage = await cner(['eval', '--gold', path.join(FIX, 'ccks')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--pred');
  });
});
