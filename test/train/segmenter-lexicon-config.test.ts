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

  it('readLexiconWords keeps every word: plain lines, with frequencies, mixed, blank lines, a BOM', () => {
    const read = (name: string, text: string | Uint8Array) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return readLexiconWords(file);
    };
    // a plain one-word-per-line list (no frequency: jieba's parser would drop every word as frequency 0)
    expect(read('plain.txt', '胆囊炎\n阑尾炎\n')).toEqual(['胆囊炎', '阑尾炎']);
    // THUOCL's word<TAB>count, a space-separated `word freq pos`, and a count of 0
    expect(read('freqs.txt', '胆囊炎\t12\n阑尾炎 30 n\n肝炎\t0\n')).toEqual(['胆囊炎', '阑尾炎', '肝炎']);
    // mixed, with blank and white-space-only lines, CRLF, a repeated word kept once at its first place
    expect(read('mixed.txt', '\n胆囊炎\r\n  \n阑尾炎\t5\r\n\t\n肝炎\n胆囊炎 7\n\n')).toEqual([
      '胆囊炎',
      '阑尾炎',
      '肝炎',
    ]);
    // a UTF-8 byte order mark is not part of the first word
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('胆囊炎\n阑尾炎\t3\n')]);
    expect(read('bom.txt', bom)).toEqual(['胆囊炎', '阑尾炎']);
  });

  it('readLexiconWords: a list without a single word, or with a bad frequency, is an error naming the file', () => {
    for (const [name, text] of [
      ['empty.txt', ''],
      ['blank.txt', '\n  \n\t\r\n'],
      ['bom-only.txt', '\ufeff\n'],
    ]) {
      const file = join(dir, name);
      writeFileSync(file, text);
      expect(() => readLexiconWords(file), name).toThrow(
        `segmenter lexicon ${file}: no words (expected one \`word [freq]\` a line)`,
      );
    }
    const bad = join(dir, 'bad-freq.txt');
    writeFileSync(bad, '胆囊炎\t12\n阑尾炎 many\n');
    expect(() => readLexiconWords(bad)).toThrow(
      `segmenter lexicon ${bad}: line 2: expected an integer frequency, got a field of 4 characters`,
    );
  });
});
