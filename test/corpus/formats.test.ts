import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CORPUS_FORMATS,
  CorpusError,
  bioChunks,
  docToBio,
  formatBio,
  formatBratAnn,
  formatJsonl,
  formatYidu,
  parseBio,
  parseBrat,
  parseJsonl,
  parseYidu,
  sortSpans,
  type Doc,
} from '../../src/corpus/index.js';
import { detectFormat, readCorpus, sniffContent, writeCorpus } from '../../src/io/corpus-io.js';

const FIX = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

/** A document with every awkward character: CRLF, tab, spaces, U+3000, a backslash, an astral character. */
const awkward: Doc = {
  id: 'x-1',
  text: '头 痛\t\\n\r\n腹\u3000部𠀀胀 \n',
  entities: [
    { start: 0, end: 3, type: 'SIGNS' }, // 头 痛 (contains a space)
    { start: 8, end: 11, type: 'BODY' }, // 腹\u3000部
    { start: 11, end: 14, type: 'SIGNS' }, // 𠀀胀 (astral: 2 code units)
  ],
};

const plain = (docs: Doc[]) => docs.map((d) => ({ text: d.text, entities: sortSpans(d.entities) }));

describe('Yidu-S4K reader/writer', () => {
  it('reads the fixture (BOM skipped), numbers records, maps label types', async () => {
    const { docs, format } = await readCorpus(path.join(FIX, 'yidu', 'sample.txt'));
    expect(format).toBe('yidu');
    expect(docs.map((d) => d.id)).toEqual(['sample-1', 'sample-2']);
    expect(docs[0].text.charCodeAt(0)).not.toBe(0xfeff);
    expect(docs[0].entities.map((e) => [docs[0].text.slice(e.start, e.end), e.type])).toEqual([
      ['胃癌', 'DISEASE'],
      ['胃切除术', 'SURGERY'],
      ['奥沙利铂', 'DRUG'],
    ]);
    expect(docs[1].entities.map((e) => e.type)).toEqual(['IMAGE', 'ANATOMY']);
  });

  it('round-trips through its writer (labels mapped back)', () => {
    const text = formatYidu([awkward]);
    expect(text).toContain('"label_type": "SIGNS"');
    const again = parseYidu(text, { file: 'x.txt' }).docs;
    expect(plain(again)).toEqual(plain([awkward]));
    const mapped = formatYidu([{ id: 'a', text: '胃癌', entities: [{ start: 0, end: 2, type: 'DISEASE' }] }]);
    expect(mapped).toBe('{"originalText": "胃癌", "entities": [{"label_type": "疾病和诊断", "overlap": 0, "start_pos": 0, "end_pos": 2}]}\n');
  });

  it('reports bad spans and bad JSON without quoting the text', () => {
    const content = '{"originalText": "胃癌术后", "entities": [{"label_type": "手术", "start_pos": 2, "end_pos": 9}]}\n{"originalText": "胃癌\n';
    expect(() => parseYidu(content, { file: 'y.txt' })).toThrow(CorpusError);
    const { issues, docs } = parseYidu(content, { file: 'y.txt', strict: false });
    expect(issues.map((i) => i.line)).toEqual([1, 2]);
    expect(issues[0].message).toMatch(/end 9 is beyond the text \(length 4\)/);
    expect(issues[1].message).toBe('not valid JSON');
    expect(docs).toEqual([{ id: 'y-1', text: '胃癌术后', entities: [] }]);
  });
});

describe('JSON lines reader/writer', () => {
  it('round-trips, writing entity text', () => {
    const out = formatJsonl([awkward]);
    const line = JSON.parse(out.trim()) as { entities: Array<{ text: string }> };
    expect(line.entities.map((e) => e.text)).toEqual(['头 痛', '腹\u3000部', '𠀀胀']);
    expect(parseJsonl(out).docs).toEqual([awkward]);
  });

  it('checks entity text, ranges, types and ids; generates missing ids', () => {
    const content = [
      '{"text": "腹痛", "entities": [{"start": 0, "end": 2, "type": "SIGNS", "text": "腹痛"}]}',
      '{"id": "b", "text": "腹痛", "entities": [{"start": 0, "end": 1, "type": "SIGNS", "text": "痛"}, {"start": 1, "end": 1, "type": "SIGNS"}, {"start": 0, "end": 1, "type": "A B"}]}',
      '{"id": "b", "text": "x", "entities": []}',
    ].join('\n');
    const { docs, issues } = parseJsonl(content, { file: 'p/q.jsonl', strict: false });
    expect(docs.map((d) => d.id)).toEqual(['q-1', 'b']);
    expect(docs[1].entities).toEqual([]);
    expect(issues.map((i) => [i.line, i.docId])).toEqual([
      [2, 'b'],
      [2, 'b'],
      [2, 'b'],
      [3, 'b'],
    ]);
    expect(issues[0].message).toMatch(/"text" \(length 1\) differs from text\[0, 1\)/);
    expect(issues[1].message).toMatch(/not before end/);
    expect(issues[2].message).toMatch(/whitespace/);
    expect(issues[3].message).toMatch(/duplicate document id/);
    expect(() => parseJsonl(content)).toThrow(/4 corpus issues/);
  });
});

describe('two-column BIO text', () => {
  it('escapes every whitespace/control character and round-trips exactly', () => {
    const out = formatBio([awkward]);
    const lines = out.split('\n');
    expect(lines[0]).toBe('-DOCSTART- x-1');
    expect(lines.slice(1, 5)).toEqual(['头 B-SIGNS', '\\u0020 I-SIGNS', '痛 I-SIGNS', '\\u0009 O']);
    expect(lines).toContain('\\ O'); // a backslash stands as itself
    expect(lines).toContain('\\u000d O');
    expect(lines).toContain('\\u3000 I-BODY');
    expect(lines).toContain('𠀀 B-SIGNS'); // one line per code point
    expect(parseBio(out).docs).toEqual([awkward]);
  });

  it('reads the fixture: ids from -DOCSTART-, sentences of a document concatenated', async () => {
    const { docs, format } = await readCorpus(path.join(FIX, 'bio', 'sample.bio'));
    expect(format).toBe('bio');
    expect(docs).toEqual([
      {
        id: '病史特点-7',
        text: '头部 痛。\r\n',
        entities: [
          { start: 0, end: 2, type: 'BODY' },
          { start: 3, end: 4, type: 'SIGNS' },
        ],
      },
      { id: '病史特点-8', text: '无', entities: [] },
    ]);
  });

  it('decodes ill-formed tags with conlleval semantics; blocks are documents without -DOCSTART-', async () => {
    const { docs } = await readCorpus(path.join(FIX, 'bio', 'plain.bio'), { format: 'bio' });
    // block 1: I-BODY I-BODY I-SIGNS → an I- without B- starts BODY; I-SIGNS after I-BODY starts SIGNS
    // block 2: B-BODY I-SIGNS O → I-SIGNS after B-BODY ends BODY and starts SIGNS
    expect(docs).toEqual([
      { id: 'plain-1', text: '右髋痛', entities: [{ start: 0, end: 2, type: 'BODY' }, { start: 2, end: 3, type: 'SIGNS' }] },
      { id: 'plain-2', text: '腹胀，', entities: [{ start: 0, end: 1, type: 'BODY' }, { start: 1, end: 2, type: 'SIGNS' }] },
    ]);
    expect(bioChunks(['B-A', 'I-A', 'O', 'I-A', 'B-A', 'B-B', 'I-A'])).toEqual([
      { start: 0, end: 2, type: 'A' },
      { start: 3, end: 4, type: 'A' },
      { start: 4, end: 5, type: 'A' },
      { start: 5, end: 6, type: 'B' },
      { start: 6, end: 7, type: 'A' },
    ]);
  });

  it('reports unreadable lines; never shifts text (a document with an unreadable character is skipped)', async () => {
    await expect(readCorpus(path.join(FIX, 'bio', 'broken.bio'))).rejects.toThrow(CorpusError);
    const { docs, issues } = await readCorpus(path.join(FIX, 'bio', 'broken.bio'), { strict: false });
    expect(issues.map((i) => [i.line, i.docId])).toEqual([
      [5, 'a-2'], // empty character column
      [4, 'a-2'], // ... so document a-2 is skipped
      [8, 'a-3'], // unknown tag prefix: kept as O
    ]);
    expect(docs.map((d) => d.id)).toEqual(['a-1', 'a-3']);
    expect(docs[1]).toEqual({ id: 'a-3', text: '胀。', entities: [] });
  });

  it('refuses spans BIO cannot hold', () => {
    const overlap: Doc = { id: 'o', text: '右髋部', entities: [{ start: 0, end: 3, type: 'BODY' }, { start: 1, end: 2, type: 'BODY' }] };
    expect(() => formatBio([overlap])).toThrow(/overlaps another entity/);
    const split: Doc = { id: 's', text: '𠀀', entities: [{ start: 0, end: 1, type: 'X' }] };
    expect(() => docToBio(split)).toThrow(/surrogate pair/);
  });

  it('can write the plain paper format without ids', () => {
    const out = formatBio([{ id: 'a', text: '腹痛', entities: [{ start: 0, end: 2, type: 'SIGNS' }] }], { docIds: false });
    expect(out).toBe('腹 B-SIGNS\n痛 I-SIGNS\n\n');
  });
});

describe('BRAT standoff', () => {
  it('reads text-bound annotations, ignores relations and notes', async () => {
    const { docs, format } = await readCorpus(path.join(FIX, 'brat'));
    expect(format).toBe('brat');
    expect(docs).toEqual([
      { id: 'doc-1', text: '右髋部疼痛\n', entities: [{ start: 0, end: 3, type: 'BODY' }, { start: 3, end: 5, type: 'SIGNS' }] },
      { id: 'doc-2', text: '无不适', entities: [] },
    ]);
  });

  it('checks spans and text; rejects discontinuous spans', () => {
    const ann = 'T1\tBODY 0 2\t右髋\nT2\tBODY 0 2\t左髋\nT3\tBODY 0;1 2\t右 髋\nT4\tBODY 3 9\tx\n';
    const { issues, docs } = parseBrat('d', '右髋部', ann, { strict: false });
    expect(docs[0].entities).toEqual([{ start: 0, end: 2, type: 'BODY' }]);
    expect(issues.map((i) => i.line)).toEqual([2, 3, 4]);
    expect(issues[1].message).toMatch(/discontinuous/);
  });

  it('round-trips, flattening line breaks in the text column', () => {
    const ann = formatBratAnn(awkward);
    expect(ann.split('\n')[0]).toBe('T1\tSIGNS 0 3\t头 痛');
    expect(parseBrat('x-1', awkward.text, ann).docs).toEqual([awkward]);
    const crossing: Doc = { id: 'c', text: 'a\r\nb', entities: [{ start: 0, end: 4, type: 'X' }] };
    expect(formatBratAnn(crossing)).toBe('T1\tX 0 4\ta  b\n');
    expect(parseBrat('c', crossing.text, formatBratAnn(crossing)).docs).toEqual([crossing]);
  });
});

describe('corpus files on disk', () => {
  it('detects formats by name and content', async () => {
    expect(await detectFormat(path.join(FIX, 'ccks'))).toBe('ccks');
    expect(await detectFormat(path.join(FIX, 'ccks', '病史特点', '病史特点-1.txtoriginal.txt'))).toBe('ccks');
    expect(await detectFormat(path.join(FIX, 'brat'))).toBe('brat');
    expect(await detectFormat(path.join(FIX, 'brat', 'doc-1.txt'))).toBe('brat');
    expect(await detectFormat(path.join(FIX, 'yidu'))).toBe('yidu');
    expect(await detectFormat(path.join(FIX, 'bio', 'plain.bio'))).toBe('bio');
    expect(sniffContent('{"id":"a","text":"x","entities":[]}\n')).toBe('jsonl');
    expect(sniffContent('\n\n')).toBeUndefined();
  });

  it('every format written and read back gives the same texts and spans', async () => {
    const { docs } = await readCorpus(path.join(FIX, 'ccks'));
    const all = [...docs, awkward];
    const dir = await mkdtemp(path.join(tmpdir(), 'cner-formats-'));
    try {
      for (const format of CORPUS_FORMATS) {
        const target = path.join(dir, `out-${format}`);
        await writeCorpus(target, all, { format });
        const back = await readCorpus(target);
        expect(back.format, format).toBe(format);
        const byText = (ds: Doc[]) => plain(ds).sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
        expect(byText(back.docs), format).toEqual(byText(all));
        if (format !== 'yidu') expect(back.docs.map((d) => d.id).sort(), format).toEqual(all.map((d) => d.id).sort());
      }
      expect((await readFile(path.join(dir, 'out-jsonl'), 'utf8')).split('\n')).toHaveLength(all.length + 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
