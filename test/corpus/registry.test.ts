/**
 * The corpus-format registry (src/corpus/formats/): every list, the alias lookup, the detector and the help text
 * follow from FORMAT_SPECS, and every format's writer output is read back and recognised as that format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CORPUS_FORMATS,
  FILE_FORMATS,
  FOLDER_FORMATS,
  FORMAT_SPECS,
  corpusFormatOf,
  formatHelpLines,
  formatNames,
  formatSpec,
  isCorpusFormat,
  isFolderFormat,
  sniffContent,
  type Doc,
} from '../../src/corpus/index.js';
import { detectFormat, readCorpus, readCorpusText, writeCorpus } from '../../src/io/corpus-io.js';
import { formatOption, UsageError } from '../../src/hosts/cli/command.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'cner-registry-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// ids of the CCKS form (<section>-<n>) so that every format can hold them
const DOCS: Doc[] = [
  {
    id: '病史特点-1',
    text: '患者右下腹痛三天。',
    entities: [
      { start: 2, end: 4, type: 'BODY' },
      { start: 4, end: 5, type: 'SIGNS' },
    ],
  },
  { id: '病史特点-2', text: '查体：腹部压痛。', entities: [{ start: 3, end: 5, type: 'BODY' }] },
];

describe('corpus format registry', () => {
  it('lists every format once, in one order; names and aliases never collide', () => {
    expect(CORPUS_FORMATS).toEqual(FORMAT_SPECS.map((s) => s.name));
    expect(CORPUS_FORMATS).toEqual(['ccks', 'yidu', 'bio', 'jsonl', 'brat']);
    expect([...FILE_FORMATS, ...FOLDER_FORMATS].sort()).toEqual([...CORPUS_FORMATS].sort());
    expect(FILE_FORMATS).toEqual(['yidu', 'bio', 'jsonl']);
    expect(FOLDER_FORMATS).toEqual(['ccks', 'brat']);
    const all = FORMAT_SPECS.flatMap((s) => [s.name, ...s.aliases]);
    expect(new Set(all).size).toBe(all.length);
    for (const s of FORMAT_SPECS) expect(formatSpec(s.name)).toBe(s);
    expect(() => formatSpec('xml' as never)).toThrow(
      'unknown corpus format "xml"; expected one of ccks, yidu, bio, jsonl, brat',
    );
  });

  it('an alias stands for its format (conll → bio) but is not a format name itself', () => {
    for (const name of CORPUS_FORMATS) expect(corpusFormatOf(name)).toBe(name);
    expect(corpusFormatOf('conll')).toBe('bio');
    expect(isCorpusFormat('conll')).toBe(false);
    expect(corpusFormatOf('xml')).toBeUndefined();
    expect(corpusFormatOf('BIO')).toBeUndefined();
    expect(isFolderFormat('ccks')).toBe(true);
    expect(isFolderFormat('conll')).toBe(false);
    expect(isFolderFormat('jsonl')).toBe(false);
  });

  it('the CLI format option takes names and aliases, and names the formats on a bad one', () => {
    expect(formatOption({ to: 'conll' }, 'to')).toBe('bio');
    expect(formatOption({ to: 'brat' }, 'to')).toBe('brat');
    expect(formatOption({}, 'to')).toBeUndefined();
    expect(() => formatOption({ to: 'xml' }, 'to')).toThrow(UsageError);
    expect(() => formatOption({ to: 'xml' }, 'to')).toThrow(
      "option --to: unknown format 'xml'; expected one of ccks, yidu, bio, jsonl, brat",
    );
  });

  it('each file format recognises what its own writer writes, and reads it back', () => {
    for (const name of FILE_FORMATS) {
      const text = formatSpec(name).format(DOCS, {});
      expect(sniffContent(text), name).toBe(name);
      expect(sniffContent(`\ufeff\n\n${text}`), `${name} after a BOM and blank lines`).toBe(name);
      const read = readCorpusText(text, { label: name });
      expect(read.format).toBe(name);
      expect(read.docs.map((d) => [d.text, d.entities])).toEqual(DOCS.map((d) => [d.text, d.entities]));
    }
    expect(sniffContent('{"id":"a"}\n')).toBeUndefined(); // a JSON object that is no format's
    expect(sniffContent('{ O\n')).toBeUndefined(); // a line starting with '{' is never bio
    expect(sniffContent('患 O\n')).toBe('bio');
  });

  it('each format round-trips through the files, and the detector names it from what was written', async () => {
    for (const name of CORPUS_FORMATS) {
      const target = path.join(tmp, `round-${name}${isFolderFormat(name) ? '' : `.${name}`}`);
      await writeCorpus(target, DOCS, { format: name });
      expect(await detectFormat(target), name).toBe(name);
      const read = await readCorpus(target);
      expect(read.format).toBe(name);
      expect(read.docs.map((d) => [d.text, d.entities])).toEqual(DOCS.map((d) => [d.text, d.entities]));
      if (name === 'ccks' || name === 'brat') expect(read.docs.map((d) => d.id)).toEqual(DOCS.map((d) => d.id));
    }
  });

  it('a folder format is detected from one of its files too (brat: the .txt beside its .ann, or the .ann)', async () => {
    const folder = path.join(tmp, 'one-brat');
    await writeCorpus(folder, DOCS, { format: 'brat' });
    for (const f of ['病史特点-1.txt', '病史特点-1.ann']) {
      expect(await detectFormat(path.join(folder, f))).toBe('brat');
      expect((await readCorpus(path.join(folder, f))).docs.map((d) => d.id)).toEqual(['病史特点-1']);
    }
  });

  it('the help lines come from the specs: one a format, with its summary and aliases', () => {
    const lines = formatHelpLines().split('\n');
    expect(lines).toHaveLength(FORMAT_SPECS.length);
    FORMAT_SPECS.forEach((s, i) => {
      expect(lines[i].startsWith(`  ${s.name} `)).toBe(true);
      expect(lines[i]).toContain(s.summary);
    });
    expect(lines[CORPUS_FORMATS.indexOf('bio')]).toMatch(/\(also: conll\)$/);
    expect(formatNames(['a', 'b', 'c'])).toBe('a, b or c');
    expect(formatNames(['a', 'b'], 'and')).toBe('a and b');
    expect(formatNames(['a'])).toBe('a');
  });

  it('convert --to conll writes what --to bio writes, and --from conll reads it', async () => {
    const { convertCommand } = await import('../../src/hosts/cli/commands/convert.js');
    const src = path.join(tmp, 'src.jsonl');
    await writeCorpus(src, DOCS, { format: 'jsonl' });
    const viaBio = path.join(tmp, 'via-bio.bio');
    const viaConll = path.join(tmp, 'via-conll.bio');
    expect(await convertCommand.run([src, viaBio, '--to', 'bio'])).toBe(0);
    expect(await convertCommand.run([src, viaConll, '--to', 'conll'])).toBe(0);
    expect(await readFile(viaConll, 'utf8')).toBe(await readFile(viaBio, 'utf8'));
    const back = path.join(tmp, 'back.jsonl');
    expect(await convertCommand.run([viaConll, back, '--from', 'conll', '--to', 'jsonl'])).toBe(0);
    expect((await readCorpus(back)).docs).toEqual((await readCorpus(src)).docs);
  });
});
