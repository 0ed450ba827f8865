import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import embed from '../../src/hosts/cli/commands/embed.js';
import { main } from '../../src/hosts/cli/main.js';

/** `cner embed ARGV` through the CLI dispatcher (UsageError → exit 2, other errors → exit 1). */
const cner = (argv: string[]): Promise<number> => main(['embed', ...argv]);
import { readWord2VecText } from '../../src/train/embed/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-embed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a tiny CCKS-shaped folder (sections with *.txtoriginal.txt) and an unlabelled file; synthetic text
const lineA = '患者腹痛腹胀三天，伴恶心呕吐。';
const lineB = '给予头孢注射液静脉滴注治疗。';
for (const section of ['一般项目', '病史特点']) {
  mkdirSync(join(dir, 'train', section), { recursive: true });
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(dir, 'train', section, `${section}-${i}.txtoriginal.txt`), i % 2 ? lineA : lineB);
    writeFileSync(join(dir, 'train', section, `${section}-${i}.txt`), 'not read\t0\t1\tX\n');
  }
}
writeFileSync(join(dir, 'unlabeled.txt'), Array.from({ length: 40 }, (_, i) => (i % 2 ? lineA : lineB + ' 　x')).join('\n') + '\n');

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('cner embed', () => {
  it('describes itself', async () => {
    expect(embed.name).toBe('embed');
    expect(embed.summary).toMatch(/word2vec/);
    expect(await cner(['--help'])).toBe(0);
    expect(out.join('')).toContain('--unit char|word');
  });

  it('rejects bad arguments with exit code 2', async () => {
    expect(await cner([])).toBe(2);
    expect(err.join('')).toMatch(/expected --out FILE/);
    expect(await cner(['--out', 'x.vec', '--unlabeled', 'u', '--unit', 'byte'])).toBe(2);
    expect(err.join('')).toMatch(/--unit: expected char or word, got "byte"/);
    expect(await cner(['--out', 'x.vec', '--unlabeled', 'u', '--dim', '0'])).toBe(2);
    expect(await cner(['--out', 'x.vec', '--bogus'])).toBe(2);
    expect(await cner(['--out', join(dir, 'x.vec'), '--data', join(dir, 'nothing-here')])).toBe(1);
    expect(err.join('')).toMatch(/no <section>\/\*\.txtoriginal\.txt files/);
  });

  it('trains char word2vec from a CCKS folder and an unlabelled file and writes a readable .vec', async () => {
    const file = join(dir, 'out', 'char.vec');
    const code = await cner([
      '--data', dir, '--unlabeled', join(dir, 'unlabeled.txt'), '--out', file,
      '--dim', '8', '--iter', '2', '--min-count', '1', '--neighbours', '腹,不在',
    ]);
    expect(code).toBe(0);
    const e = readWord2VecText(readFileSync(file, 'utf8'));
    expect(e.dim).toBe(8);
    expect(e.vocab).toContain('腹');
    expect(e.vocab).toContain(' '); // U+3000 normalised to a space, written as <sp>
    expect(e.vocab).not.toContain('\u3000');
    expect(out.join('')).toMatch(/wrote .*char\.vec: \d+ char vectors × 8 \(word2vec\); trained in [\d.]+ s/);
    expect(out.join('')).toMatch(/不在: not in the vocabulary/);
    expect(err.join('')).toMatch(/lines, \d+ char tokens read/);
  });

  it('trains word GloVe with the jieba dictionary segmenter', async () => {
    const file = join(dir, 'word.vec');
    const code = await cner(['--unlabeled', join(dir, 'unlabeled.txt'), '--out', file, '--unit', 'word', '--method', 'glove', '--dim', '6', '--iter', '3', '--min-count', '1']);
    expect(code).toBe(0);
    const e = readWord2VecText(readFileSync(file, 'utf8'));
    expect(e.vocab).toContain('腹痛');
    expect(e.vocab.some((t) => t.length > 1)).toBe(true);
  });
});
