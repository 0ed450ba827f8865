import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorpusError, formatCcksDoc, parseCcksDoc, parseCcksId } from '../../src/corpus/index.js';
import { listFiles, readCorpus, writeCorpus } from '../../src/io/corpus-io.js';

const FIX = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

describe('CCKS 2017 reader', () => {
  it('reads a folder: ids, exact raw text, exclusive ends, mapped types, documents in section/record order', async () => {
    const { docs, issues, format } = await readCorpus(path.join(FIX, 'ccks'));
    expect(format).toBe('ccks');
    expect(issues).toEqual([]);
    expect(docs.map((d) => d.id)).toEqual(['一般项目-1', '出院情况-2', '病史特点-1', '病史特点-2']);
    const general = docs[0];
    expect(general.text).toBe('女性，65岁，因右髋部疼痛2天入院。\r\n\r\n\r\n'); // trailing CRLFs kept
    expect(general.entities).toEqual([
      { start: 8, end: 11, type: 'BODY' },
      { start: 11, end: 13, type: 'SIGNS' },
    ]);
    expect(general.text.slice(8, 11)).toBe('右髋部');
    const history = docs[2];
    expect(history.entities.map((e) => [history.text.slice(e.start, e.end), e.type])).toEqual([
      ['腹部', 'BODY'],
      ['压痛', 'SIGNS'],
      ['CT', 'CHECK'],
      ['肝囊肿', 'DISEASE'],
      ['B超', 'CHECK'],
    ]);
    expect(docs[1].entities).toEqual([]); // empty annotation file
    expect(docs[3].text).toBe('予抗感染治疗。'); // no trailing newline either
    expect(docs[3].entities).toEqual([{ start: 1, end: 6, type: 'TREATMENT' }]);
  });

  it('writes back byte for byte', async () => {
    const { docs } = await readCorpus(path.join(FIX, 'ccks'));
    const dir = await mkdtemp(path.join(tmpdir(), 'cner-ccks-'));
    try {
      const { files } = await writeCorpus(dir, docs, { format: 'ccks' });
      expect(files).toBe(8);
      const original = await listFiles(path.join(FIX, 'ccks'));
      const written = await listFiles(dir);
      expect(written.map((f) => path.relative(dir, f))).toEqual(original.map((f) => path.relative(path.join(FIX, 'ccks'), f)));
      for (const f of original) {
        const twin = path.join(dir, path.relative(path.join(FIX, 'ccks'), f));
        expect(Buffer.compare(await readFile(twin), await readFile(f)), f).toBe(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports EVERY misaligned span with file and line, in one error', async () => {
    const error = await readCorpus(path.join(FIX, 'ccks-bad')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorpusError);
    const issues = (error as CorpusError).issues;
    expect(issues.map((i) => [i.file, i.line])).toEqual([
      [path.join('病史特点', '病史特点-3.txt'), 2], // string differs from the slice
      [path.join('病史特点', '病史特点-3.txt'), 3], // end beyond the text
      [path.join('病史特点', '病史特点-3.txt'), 4], // three fields
      [path.join('病史特点', '病史特点-4.txt'), 1], // end before start
    ]);
    expect(issues[0].message).toMatch(/differs from text\[2\.\.4\]/);
    expect(issues[1].message).toMatch(/beyond the text/);
    expect(issues[2].message).toMatch(/expected 4 tab-separated fields/);
    expect(issues[3].message).toMatch(/not before end/);
    const message = (error as Error).message;
    expect(message).toContain('4 corpus issues');
    expect(message).toContain('病史特点-3.txt:3');
    // no clinical text in the message (ids and file names only)
    for (const fragment of ['头痛', '三天', '腹胀']) expect(message).not.toContain(fragment);
  });

  it('lenient mode returns the issues and keeps only the aligned spans (never shifted)', async () => {
    const { docs, issues } = await readCorpus(path.join(FIX, 'ccks-bad'), { strict: false });
    expect(issues).toHaveLength(4);
    expect(docs.map((d) => [d.id, d.entities])).toEqual([
      ['病史特点-3', [{ start: 0, end: 2, type: 'SIGNS' }]],
      ['病史特点-4', []],
    ]);
  });

  it('parses and formats single documents as pure functions', () => {
    const text = '腹痛，CT示阑尾炎。\r\n';
    const ann = '腹\t0\t0\t身体部位\r\n腹痛\t0\t1\t症状和体征\r\nCT\t3\t4\t检查和检验\r\n阑尾炎\t6\t8\tOTHER\r\n';
    const { docs } = parseCcksDoc('病史特点-9', text, ann);
    expect(docs[0].entities).toEqual([
      { start: 0, end: 1, type: 'BODY' },
      { start: 0, end: 2, type: 'SIGNS' },
      { start: 3, end: 5, type: 'CHECK' },
      { start: 6, end: 9, type: 'OTHER' }, // unknown type names pass through
    ]);
    const files = formatCcksDoc(docs[0]);
    expect(files.textPath).toBe('病史特点/病史特点-9.txtoriginal.txt');
    expect(files.annotationPath).toBe('病史特点/病史特点-9.txt');
    expect(files.annotations).toBe(ann);
    expect(files.text).toBe(text);
    // LF-only annotation files are accepted too
    expect(parseCcksDoc('x-1', text, ann.replace(/\r\n/g, '\n')).docs[0].entities).toHaveLength(4);
  });

  it('validates ids', () => {
    expect(parseCcksId('病史特点-12')).toEqual({ section: '病史特点', record: 12 });
    expect(() => parseCcksId('no-record-number-here')).toThrow(/<section>-<record number>/);
    expect(() => formatCcksDoc({ id: 'plain', text: 'a', entities: [] })).toThrow(/<section>-<record number>/);
  });
});
