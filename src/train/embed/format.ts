/**
 * The word2vec text format: a header line `V dim`, then V lines `token v1 … vdim` (single spaces).
 * Numbers are written with 6 significant digits (shortest form, e.g. `0.123457`, `-1.5e-7`).
 *
 * Tokens cannot contain whitespace in this format, so whitespace characters inside a token are written
 * as placeholders and mapped back on reading:
 *   ' ' → `<sp>`   '\t' → `<tab>`   '\n' → `<nl>`   '\r' → `<cr>`
 *   any other whitespace (e.g. U+3000 ideographic space, U+00A0) → `<U+XXXX>` (hex code point, upper case)
 * A token that already contains such a placeholder text literally cannot be written (it would not read
 * back as itself): writeWord2VecText throws naming its row.
 * The format stores no counts: readWord2VecText returns counts of 0.
 */
import type { Embeddings } from './types.js';

const NAMED: Record<string, string> = { ' ': 'sp', '\t': 'tab', '\n': 'nl', '\r': 'cr' };
const BY_NAME: Record<string, string> = { sp: ' ', tab: '\t', nl: '\n', cr: '\r' };
const PLACEHOLDER = /<(sp|tab|nl|cr|U\+[0-9A-F]{4,6})>/g;

export function encodeToken(token: string): string {
  return token.replace(/\s/gu, (ch) => {
    const name = NAMED[ch];
    if (name) return `<${name}>`;
    return `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
  });
}

export function decodeToken(field: string): string {
  return field.replace(PLACEHOLDER, (_, name: string) => BY_NAME[name] ?? String.fromCodePoint(parseInt(name.slice(2), 16)));
}

function formatNumber(x: number): string {
  if (x === 0) return '0';
  return String(Number(x.toPrecision(6)));
}

function checkEmbeddings(emb: Embeddings, who: string): void {
  if (!emb || !Array.isArray(emb.vocab)) throw new TypeError(`${who}: expected { vocab: string[], vectors, dim }, got ${typeof emb}`);
  if (!Number.isInteger(emb.dim) || emb.dim < 1) throw new RangeError(`${who}: expected dim to be a positive integer, got ${emb.dim}`);
  if (!(emb.vectors instanceof Float32Array)) throw new TypeError(`${who}: expected vectors to be a Float32Array`);
  if (emb.vectors.length !== emb.vocab.length * emb.dim) {
    throw new RangeError(`${who}: expected vectors of length V×dim = ${emb.vocab.length}×${emb.dim} = ${emb.vocab.length * emb.dim}, got ${emb.vectors.length}`);
  }
}

export function writeWord2VecText(emb: Embeddings): string {
  checkEmbeddings(emb, 'writeWord2VecText');
  const { vocab, vectors, dim } = emb;
  const lines: string[] = [`${vocab.length} ${dim}`];
  const seen = new Set<string>();
  for (let r = 0; r < vocab.length; r++) {
    const tok = vocab[r];
    if (typeof tok !== 'string' || tok.length === 0) throw new TypeError(`writeWord2VecText: expected a non-empty string token at row ${r}`);
    const field = encodeToken(tok);
    if (decodeToken(field) !== tok) {
      throw new Error(`writeWord2VecText: the token at row ${r} contains a whitespace placeholder (<sp>, <tab>, <nl>, <cr>, <U+XXXX>) literally and cannot be written unambiguously`);
    }
    if (seen.has(tok)) throw new Error(`writeWord2VecText: duplicate token at row ${r}`);
    seen.add(tok);
    const parts = new Array<string>(dim + 1);
    parts[0] = field;
    for (let k = 0; k < dim; k++) {
      const v = vectors[r * dim + k];
      if (!Number.isFinite(v)) throw new RangeError(`writeWord2VecText: non-finite value at row ${r}, component ${k}`);
      parts[k + 1] = formatNumber(v);
    }
    lines.push(parts.join(' '));
  }
  return lines.join('\n') + '\n';
}

/** Parses the word2vec text format; errors name the 1-based line. */
export function readWord2VecText(text: string): Embeddings {
  if (typeof text !== 'string') throw new TypeError(`readWord2VecText: expected a string, got ${typeof text}`);
  const lines = text.split('\n');
  const strip = (s: string) => s.replace(/[ \t\r]+$/, '');
  const header = strip(lines[0] ?? '');
  const m = /^(\d+) +(\d+)$/.exec(header);
  if (!m) throw new Error(`readWord2VecText: line 1: expected the header "V dim" (two non-negative integers), got ${header.split(/\s+/).length} field(s) of ${header.length} characters`);
  const V = Number(m[1]);
  const dim = Number(m[2]);
  if (dim < 1) throw new Error(`readWord2VecText: line 1: expected dim ≥ 1, got ${dim}`);
  let last = lines.length;
  while (last > 1 && strip(lines[last - 1]) === '') last--;
  if (last - 1 !== V) {
    throw new Error(`readWord2VecText: the header says ${V} vectors but the file has ${last - 1} line(s) after it`);
  }
  const vocab = new Array<string>(V);
  const vectors = new Float32Array(V * dim); // [V × dim]
  const rowOf = new Map<string, number>();
  for (let r = 0; r < V; r++) {
    const lineNo = r + 2;
    const fields = strip(lines[r + 1]).split(/[ \t]+/);
    if (fields[0] === '') throw new Error(`readWord2VecText: line ${lineNo}: expected a token first, got an empty field`);
    if (fields.length !== dim + 1) {
      throw new Error(`readWord2VecText: line ${lineNo}: expected a token and ${dim} numbers, got ${fields.length - 1} number field(s)`);
    }
    const tok = decodeToken(fields[0]);
    const prev = rowOf.get(tok);
    if (prev !== undefined) throw new Error(`readWord2VecText: line ${lineNo}: duplicate token (first on line ${prev + 2})`);
    rowOf.set(tok, r);
    vocab[r] = tok;
    for (let k = 0; k < dim; k++) {
      const v = Number(fields[k + 1]);
      if (!Number.isFinite(v)) throw new Error(`readWord2VecText: line ${lineNo}: expected a finite number in field ${k + 2}, got something else`);
      vectors[r * dim + k] = v;
    }
  }
  return { vocab, counts: new Array<number>(V).fill(0), vectors, dim };
}
