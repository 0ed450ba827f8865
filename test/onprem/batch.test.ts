/** The batch loop of `cner tag` with stand-in pools and sinks: order under out-of-order completion, failures. */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { runBatch } from '../../src/hosts/cli/tag/batch.js';
import { jsonlItems, readLines, textItems, type InputItem, type InputSource } from '../../src/hosts/cli/tag/input.js';
import type { Sink, TaggedDoc } from '../../src/hosts/cli/tag/output.js';
import type { TaggerPool } from '../../src/hosts/cli/tag/pool.js';
import type { TagResult, TaggerInfo } from '../../src/tagger.js';

function sourceOf(texts: string[]): InputSource {
  async function* items(): AsyncGenerator<InputItem> {
    for (let i = 0; i < texts.length; i++) yield { kind: 'doc', index: i, id: `d${i}`, text: texts[i], line: i + 1, progress: i + 1 };
  }
  return { format: 'text', total: texts.length, items: items() };
}

/** A pool whose jobs finish after random delays (so out of order), failing jobs that hold `poison`. */
function fakePool(threads: number, poison = '\u0000never'): TaggerPool & { calls: number } {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const pool = {
    threads,
    calls: 0,
    info: {} as TaggerInfo,
    async tagMany(texts: string[]): Promise<TagResult[]> {
      pool.calls++;
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 15)));
      if (texts.some((t) => t.includes(poison))) throw new Error('worker stopped');
      return texts.map((t) => ({ entities: [{ type: 'LEN', start: 0, end: t.length, text: t }] }));
    },
    async close() {},
    async drain() {},
  };
  return pool;
}

function memorySink(failOn?: string): Sink & { docs: TaggedDoc[] } {
  const sink = {
    docs: [] as TaggedDoc[],
    async write(batch: readonly TaggedDoc[]) {
      await new Promise((r) => setTimeout(r, 1));
      if (failOn && batch.some((t) => t.doc.text === failOn)) throw new Error('disk full');
      sink.docs.push(...batch);
      return [];
    },
    async close() {
      return [];
    },
  };
  return sink;
}

describe('runBatch', () => {
  it('writes results in input order although jobs finish out of order, over any chunk size', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => 'x'.repeat(1 + (i % 13)) + i);
    for (const [threads, chunkDocs] of [
      [1, 1],
      [4, 3],
      [8, 64],
    ]) {
      const pool = fakePool(threads);
      const sink = memorySink();
      const stats = await runBatch(sourceOf(texts), pool, sink, { tagOptions: {}, onFailure: () => {}, chunkDocs, chunkChars: 40 });
      expect(sink.docs.map((t) => t.doc.text)).toEqual(texts);
      expect(sink.docs.every((t) => t.result.entities[0].text === t.doc.text)).toBe(true);
      expect(stats).toMatchObject({ docs: 200, failed: 0, entities: 200, chars: texts.reduce((s, t) => s + t.length, 0) });
      expect(pool.calls).toBeGreaterThan(1);
    }
  });

  it('reports every document of a failed job by its line and goes on with the rest', async () => {
    const texts = ['a', 'b', 'POISON', 'c', 'd', 'e'];
    const failures: string[] = [];
    const sink = memorySink();
    const stats = await runBatch(sourceOf(texts), fakePool(2, 'POISON'), sink, {
      tagOptions: {},
      onFailure: (where, message) => failures.push(`${where}: ${message}`),
      label: 'in.txt',
      chunkDocs: 2,
    });
    expect(failures).toEqual(['in.txt:3: tagging failed: worker stopped', 'in.txt:4: tagging failed: worker stopped']);
    expect(failures.join()).not.toContain('POISON');
    expect(sink.docs.map((t) => t.doc.text)).toEqual(['a', 'b', 'd', 'e']);
    expect(stats.failed).toBe(2);
  });

  it('a failing output stops the run with its error', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `t${i}`);
    await expect(
      runBatch(sourceOf(texts), fakePool(2), memorySink('t20'), { tagOptions: {}, onFailure: () => {}, chunkDocs: 4 }),
    ).rejects.toThrow('disk full');
  });
});

describe('line inputs', () => {
  const collect = async (it: AsyncIterable<InputItem>) => {
    const out: InputItem[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const bytes = (s: string, cut: number[]) => {
    const b = Buffer.from(s, 'utf8');
    const parts: Buffer[] = [];
    let at = 0;
    for (const c of [...cut, b.length]) {
      parts.push(b.subarray(at, c));
      at = c;
    }
    return Readable.from(parts);
  };

  it('splits lines across chunk borders (multi-byte characters cut in half), skips a BOM, accepts CRLF', async () => {
    const s = '\uFEFF患者😀一\r\n\r\n二\n三 \r';
    for (const cut of [[1], [2, 5], [4, 7, 8, 9, 10, 11], []]) {
      const lines = [];
      for await (const l of readLines(bytes(s, cut))) lines.push(l.kind === 'line' ? l.text : l.kind);
      expect(lines).toEqual(['患者😀一', '', '二', '三 ']);
    }
    const items = await collect(textItems(readLines(bytes(s, [3])), 'x'));
    expect(items.map((i) => (i.kind === 'doc' ? [i.id, i.text] : i.kind))).toEqual([
      ['line-1', '患者😀一'],
      ['line-3', '二'],
      ['line-4', '三 '],
    ]);
  });

  it('reports a line of invalid UTF-8 by its number (never its bytes) and goes on', async () => {
    const bad = Readable.from([Buffer.from([0x41, 0x0a, 0xe6, 0x82, 0x0a, 0x42, 0x0a, 0xff, 0x43])]);
    const items = await collect(textItems(readLines(bad), 'notes.txt'));
    expect(items.map((i) => (i.kind === 'doc' ? `${i.line}=${i.text}` : `${i.where}: ${i.message}`))).toEqual([
      '1=A',
      'notes.txt:2: not valid utf-8 (line skipped)',
      '3=B',
      'notes.txt:4: not valid utf-8 (line skipped)',
    ]);
  });

  it('skips a line longer than the limit with its number, without holding it whole, and goes on', async () => {
    const long = '长'.repeat(50);
    const s = ['短句一', long, '短句二', long + long, '末'].join('\n');
    for (const cut of [[], [1, 7, 40, 41, 200], Array.from({ length: 150 }, (_, i) => i * 3 + 1)]) {
      const items = await collect(textItems(readLines(bytes(s, cut), { maxLineChars: 49 }), 'big.txt'));
      expect(items.map((i) => (i.kind === 'doc' ? `${i.line}=${i.text}` : `${i.where}: ${i.message}`))).toEqual([
        '1=短句一',
        'big.txt:2: line longer than 49 characters (skipped; see --max-line-chars)',
        '3=短句二',
        'big.txt:4: line longer than 49 characters (skipped; see --max-line-chars)',
        '5=末',
      ]);
    }
    // exactly at the limit is kept
    const at = await collect(textItems(readLines(bytes(long, [10]), { maxLineChars: 50 }), 'x'));
    expect(at.map((i) => i.kind)).toEqual(['doc']);
  });

  it('decodes GB18030 / GBK input line by line', async () => {
    const gbk = Buffer.from([0xd3, 0xd2, 0xcf, 0xc2, 0xb8, 0xb9, 0x0d, 0x0a, 0xcd, 0xb4]); // 右下腹\r\n痛
    for (const encoding of ['gb18030', 'gbk'] as const) {
      const items = await collect(textItems(readLines(Readable.from([gbk.subarray(0, 3), gbk.subarray(3)]), { encoding }), 'g.txt'));
      expect(items.map((i) => (i.kind === 'doc' ? i.text : i.kind))).toEqual(['右下腹', '痛']);
    }
  });

  it('JSON lines: ids from "id" (string or number) or the line number; failures name the line only', async () => {
    const s = ['{"id":"a","text":"x"}', '{"id":7,"text":"y"}', '{"text":"z"}', '{"id":"","text":"w"}', '{"id":"q","text":null}', 'nope'].join('\n');
    const items = await collect(jsonlItems(readLines(bytes(s, [])), 'f.jsonl'));
    expect(items.map((i) => (i.kind === 'doc' ? `${i.id}=${i.text}@${i.line}` : `${i.where}: ${i.message}`))).toEqual([
      'a=x@1',
      '7=y@2',
      'line-3=z@3',
      'f.jsonl:4: "id" must be a non-empty string or a number when present',
      'f.jsonl:5: expected a string "text", got "text" of type null',
      'f.jsonl:6: not valid JSON',
    ]);
  });
});
