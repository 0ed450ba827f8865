import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, readWord2VecText, writeWord2VecText, type Embeddings } from '../../src/train/embed/index.js';

function emb(vocab: string[], dim: number, seed = 1): Embeddings {
  let s = seed;
  const vectors = new Float32Array(vocab.length * dim);
  for (let i = 0; i < vectors.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // spread over many magnitudes, signs and exponent forms
    vectors[i] = ((s / 4294967296 - 0.5) * 10 ** ((s % 9) - 5));
  }
  return { vocab, counts: vocab.map(() => 1), vectors, dim };
}

describe('word2vec text format', () => {
  it('round-trips vocabulary and values to 6 significant digits', () => {
    const e = emb(['腹', '痛', 'x', '上腹部', '0.5'], 7);
    e.vectors[3] = 0;
    e.vectors[4] = 123456789;
    const text = writeWord2VecText(e);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('5 7');
    expect(lines).toHaveLength(6);
    expect(lines[1].split(' ')).toHaveLength(8);
    const back = readWord2VecText(text);
    expect(back.vocab).toEqual(e.vocab);
    expect(back.dim).toBe(7);
    expect(back.counts).toEqual([0, 0, 0, 0, 0]);
    for (let i = 0; i < e.vectors.length; i++) {
      const a = e.vectors[i];
      expect(Math.abs(back.vectors[i] - a)).toBeLessThanOrEqual(Math.abs(a) * 5e-6 + 1e-30);
    }
    // at most 6 significant digits are written
    for (const f of lines[1].split(' ').slice(1)) expect(f.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length).toBeLessThanOrEqual(6);
    // a second round trip is exact (values already rounded)
    expect(writeWord2VecText(back)).toBe(text);
  });

  it('maps whitespace tokens to placeholders and back', () => {
    const vocab = [' ', '\t', '\n', '\r', '\u3000', 'a b', '\u00a0x'];
    expect(encodeToken(' ')).toBe('<sp>');
    expect(encodeToken('\u3000')).toBe('<U+3000>');
    expect(encodeToken('a b')).toBe('a<sp>b');
    expect(decodeToken('<U+00A0>x')).toBe('\u00a0x');
    const text = writeWord2VecText(emb(vocab, 3));
    for (const line of text.trimEnd().split('\n')) expect(line).not.toMatch(/[\t\r\u3000\u00a0]|  /);
    expect(readWord2VecText(text).vocab).toEqual(vocab);
  });

  it('refuses tokens that would not read back as themselves', () => {
    expect(() => writeWord2VecText(emb(['a', '<sp>'], 2))).toThrow(/row 1.*placeholder/);
    expect(() => writeWord2VecText(emb(['a', 'a'], 2))).toThrow(/duplicate token at row 1/);
    expect(() => writeWord2VecText({ vocab: ['a'], counts: [1], vectors: new Float32Array(3), dim: 2 })).toThrow(/V×dim = 1×2 = 2, got 3/);
    const bad = emb(['a', 'b'], 2);
    bad.vectors[3] = NaN;
    expect(() => writeWord2VecText(bad)).toThrow(/row 1, component 1/);
  });

  it('accepts trailing spaces, CRLF and a missing final newline (as other tools write)', () => {
    const e = readWord2VecText('2 2\r\nA 1 2 \r\nB -0.5 3e-2');
    expect(e.vocab).toEqual(['A', 'B']);
    expect(Array.from(e.vectors)).toEqual([1, 2, -0.5, Math.fround(0.03)]);
  });

  it('rejects malformed files with the line named', () => {
    expect(() => readWord2VecText('')).toThrow(/line 1: expected the header/);
    expect(() => readWord2VecText('2 x\na 1\n')).toThrow(/line 1: expected the header/);
    expect(() => readWord2VecText('1 0\na\n')).toThrow(/line 1: expected dim ≥ 1/);
    expect(() => readWord2VecText('2 2\na 1 2\nb 1\n')).toThrow(/line 3: expected a token and 2 numbers, got 1/);
    expect(() => readWord2VecText('2 2\na 1 2\nb 1 2 3\n')).toThrow(/line 3: expected a token and 2 numbers, got 3/);
    expect(() => readWord2VecText('2 2\na 1 2\nb 1 zz\n')).toThrow(/line 3: expected a finite number in field 3/);
    expect(() => readWord2VecText('2 2\na 1 2\na 1 2\n')).toThrow(/line 3: duplicate token \(first on line 2\)/);
    expect(() => readWord2VecText('3 2\na 1 2\nb 1 2\n')).toThrow(/header says 3 vectors but the file has 2 line/);
    expect(() => readWord2VecText('1 2\na 1 2\nb 1 2\n')).toThrow(/header says 1 vectors but the file has 2 line/);
    expect(() => readWord2VecText('2 2\na 1 2\n 1 2\n')).toThrow(/line 3: expected a token first/);
    expect(() => readWord2VecText('1 1\na Infinity\n')).toThrow(/line 2: expected a finite number/);
  });

  it('never puts token text into error messages', () => {
    try {
      readWord2VecText('2 2\n腹痛 1 2\n腹痛 1 2\n');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('腹');
    }
  });
});
