/** scripts/pseudo-label.ts: teacher-ensemble labels for unlabeled text, the input of a student run's config.extraTrain. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../../src/io/corpus-io.js';
import { createTagger } from '../../src/tagger.js';
import { ROOT } from '../../scripts/train-default.js';
import { labelByVote, sampleTexts } from '../../scripts/pseudo-label.js';
import { kernelBytes } from '../kernels/load.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-pseudo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const s = (start: number, end: number, type = 'X') => ({ start, end, type });

describe('sampleTexts', () => {
  const lines = ['aaaa', 'bb', '', 'cccccc', 'bb', 'd', 'eeeee'];
  it('distinct non-empty lines, shuffled by the seed, until the character budget is reached', () => {
    const all = sampleTexts(lines, 1e9, 1);
    expect([...all].sort()).toEqual(['aaaa', 'bb', 'cccccc', 'd', 'eeeee']);
    expect(sampleTexts(lines, 1e9, 1)).toEqual(all);
    const seeds = new Set([1, 2, 3, 4, 5].map((k) => sampleTexts(lines, 1e9, k).join('|')));
    expect(seeds.size).toBeGreaterThan(1);
    const some = sampleTexts(lines, 5, 1);
    const n = some.reduce((a, t) => a + t.length, 0);
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n - some[some.length - 1].length).toBeLessThan(5); // stops at the first text that reaches the budget
    expect(() => sampleTexts(lines, 0, 1)).toThrow(/chars must be > 0/);
  });
});

describe('labelByVote', () => {
  it('keeps the spans a majority of teachers predict, without overlaps', () => {
    const texts = ['0123456789', 'abc'];
    const t1 = [[s(0, 3), s(5, 8)], [s(0, 2)]];
    const t2 = [[s(0, 3), s(5, 8), s(4, 9)], []];
    const t3 = [[s(1, 3), s(4, 9)], [s(0, 2)]];
    const docs = labelByVote(texts, [t1, t2, t3], 2);
    expect(docs).toEqual([
      { id: 'pseudo-1', text: '0123456789', entities: [s(0, 3), s(4, 9)] }, // (4, 9) and (5, 8) both voted: the earlier wins
      { id: 'pseudo-2', text: 'abc', entities: [s(0, 2)] },
    ]);
    expect(() => labelByVote(texts, [t1, [[]]], 1)).toThrow(/teacher 1 labelled 1 texts, expected 2/);
  });
});

describe('npm run pseudo-label', () => {
  it('labels texts with the bundled model as teachers; the output reads back as a corpus and matches the teacher', async () => {
    const unlabeled = join(dir, 'unlabeled.txt');
    const texts = ['患者上腹部疼痛三天，伴恶心。', '行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗。', '查体：双肺呼吸音清，心律齐。'];
    writeFileSync(unlabeled, texts.join('\n') + '\n');
    const out = join(dir, 'pseudo.jsonl');
    const model = join(ROOT, 'models', 'default.cner');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'pseudo-label.ts'), '--unlabeled', unlabeled, '--out', out, '--chars', '1000', model, model], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const corpus = await readCorpus(out);
    expect(corpus.issues).toEqual([]);
    expect(corpus.docs.map((d) => d.text).sort()).toEqual([...texts].sort());
    // two copies of one teacher: the vote is that teacher's own output
    const tagger = await createTagger({ model: readFileSync(model), kernels: kernelBytes() });
    for (const d of corpus.docs) {
      expect(d.entities).toEqual(tagger.tag(d.text).entities.map((e) => ({ start: e.start, end: e.end, type: e.type })));
    }
    expect(corpus.docs.reduce((a, d) => a + d.entities.length, 0)).toBeGreaterThan(5);
  }, 60_000);

  it('refuses a run without teachers or without --out, and says why', () => {
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'pseudo-label.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
        return '';
      } catch (e) {
        return String((e as { stderr?: string }).stderr);
      }
    };
    expect(run(['--out', join(dir, 'x.jsonl')])).toMatch(/name at least one teacher model file/);
    expect(run([join(ROOT, 'models', 'default.cner')])).toMatch(/--out is required/);
  }, 60_000);
});
