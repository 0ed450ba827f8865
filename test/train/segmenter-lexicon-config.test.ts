/**
 * config.segmenterLexicon (issue 16): a word-list path that resolves against the config file's folder like every
 * path, with '' meaning none — also when a config file says '' outright.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../src/train/config.js';
import { loadRunConfig } from '../../src/train/run-config.js';
import { readLexiconWords } from '../../src/train/segdict.js';

const dir = mkdtempSync(join(tmpdir(), 'cner-seglex-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('config.segmenterLexicon', () => {
  it("defaults to '' (none) and is left out of the identity there", () => {
    expect(resolveConfig().segmenterLexicon).toBe('');
    expect(readLexiconWords('')).toBeUndefined();
  });

  it('a relative path resolves against the config file folder', () => {
    expect(loadConfig(write('a.json', { segmenterLexicon: 'lex/words.txt' })).segmenterLexicon).toBe(
      join(dir, 'lex/words.txt'),
    );
    expect(loadRunConfig(write('b.json', { segmenterLexicon: 'lex/words.txt' })).config.segmenterLexicon).toBe(
      join(dir, 'lex/words.txt'),
    );
  });

  it("an explicit '' stays '' (no word list), not the config's folder", () => {
    expect(loadConfig(write('c.json', { segmenterLexicon: '' })).segmenterLexicon).toBe('');
    expect(loadRunConfig(write('d.json', { segmenterLexicon: '' })).config.segmenterLexicon).toBe('');
  });

  it('readLexiconWords reads word<TAB>count lines and names a missing file', () => {
    const file = join(dir, 'words.txt');
    writeFileSync(file, '胆囊切除术\t120\n阑尾炎\t3000\n');
    expect(readLexiconWords(file)).toEqual(['胆囊切除术', '阑尾炎']);
    expect(() => readLexiconWords(join(dir, 'missing.txt'))).toThrow(
      `segmenter lexicon ${join(dir, 'missing.txt')}: cannot read (ENOENT)`,
    );
  });
});
