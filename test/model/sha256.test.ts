import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Sha256, sha256, sha256Hex } from '../../src/model/sha256.js';
import { rng } from '../helpers/random-model.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('sha256', () => {
  it('matches the FIPS 180-4 / NIST example vectors', () => {
    expect(sha256Hex(ascii(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(ascii('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(
      sha256Hex(ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu')),
    ).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('agrees with node:crypto on every length around the block boundaries and on random data', () => {
    const random = rng(7);
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 4096, 65537];
    for (const n of lengths) {
      const data = new Uint8Array(n).map(() => Math.floor(random() * 256));
      expect(sha256Hex(data), `length ${n}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('gives the same digest however the input is split across update() calls', () => {
    const random = rng(3);
    const data = new Uint8Array(3000).map(() => Math.floor(random() * 256));
    const want = createHash('sha256').update(data).digest('hex');
    for (let trial = 0; trial < 50; trial++) {
      const h = new Sha256();
      let p = 0;
      while (p < data.length) {
        const k = Math.min(data.length - p, Math.floor(random() * 200));
        h.update(data.subarray(p, p + k));
        p += k;
      }
      expect(Buffer.from(h.digest()).toString('hex')).toBe(want);
    }
  });

  it('hashes a subarray view, not its whole buffer', () => {
    const buf = new Uint8Array(100).map((_, i) => i);
    const view = buf.subarray(13, 77);
    expect(sha256Hex(view)).toBe(createHash('sha256').update(view).digest('hex'));
    expect(sha256(view)).toHaveLength(32);
  });

  it('refuses non-bytes and reuse after digest', () => {
    expect(() => new Sha256().update('abc' as unknown as Uint8Array)).toThrow(TypeError);
    const h = new Sha256();
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow(/already/);
    expect(() => h.digest()).toThrow(/already/);
  });
});
