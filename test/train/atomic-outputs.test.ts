/**
 * A run's outputs are replaced by rename, never rewritten in place: a run killed while writing leaves the previous
 * model (and summary, vectors) whole under its name. Checked through a hard link made before the write: a file
 * rewritten in place changes under every link; a renamed one leaves the old link with the old bytes.
 */
import { linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '../../src/io/output-file.js';
import { resolveConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run.js';
import { ccksLikeDocs, writeJsonl } from '../pipeline/fixture.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cner-atomic-'));
  dirs.push(d);
  return d;
};

describe('writeFileAtomicSync', () => {
  it('replaces the file by rename (an old hard link keeps the old bytes) and leaves no temporary file', () => {
    const dir = tmp();
    const f = join(dir, 'model.cner');
    writeFileSync(f, 'old');
    linkSync(f, join(dir, 'old-link'));
    writeFileAtomicSync(f, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(f)]).toEqual([1, 2, 3]);
    expect(readFileSync(join(dir, 'old-link'), 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['model.cner', 'old-link']);
  });

  it('makes the folder, and on a failed write leaves the old file and no temporary file', () => {
    const dir = tmp();
    writeFileAtomicSync(join(dir, 'a', 'b.json'), '{}');
    expect(readFileSync(join(dir, 'a', 'b.json'), 'utf8')).toBe('{}');
    writeFileSync(join(dir, 'x'), 'keep');
    // a folder where the file should go: the rename fails
    expect(() => writeFileAtomicSync(join(dir, 'a'), 'new')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a', 'x']);
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
  });
});

describe('runTraining outputs', () => {
  it('a second run replaces model.cner, model.q8.cner and summary.json by rename', async () => {
    const dir = tmp();
    const corpus = join(dir, 'corpus.jsonl');
    writeJsonl(corpus, ccksLikeDocs(30, 5));
    const out = join(dir, 'run');
    const config = resolveConfig({
      charDim: 8,
      wordDim: 4,
      lstm: [8],
      dropout: 0,
      epochs: 1,
      patience: 1,
      workers: 1,
      batchSize: 8,
      optimizer: { lr: 0.02 },
    });
    await runTraining({ data: corpus, out, config, progress: false, log: () => {} });
    const files = ['model.cner', 'model.q8.cner', 'summary.json'];
    const before = new Map<string, Buffer>();
    for (const f of files) {
      linkSync(join(out, f), join(dir, `${f}.link`));
      before.set(f, readFileSync(join(out, f)));
    }
    await runTraining({
      data: corpus,
      out,
      config: resolveConfig({ ...config, seed: 2 }),
      progress: false,
      log: () => {},
    });
    for (const f of files) {
      expect(readFileSync(join(out, f)).equals(before.get(f)!), `${f} changed`).toBe(false);
      expect(readFileSync(join(dir, `${f}.link`)).equals(before.get(f)!), `${f}: the old link kept its bytes`).toBe(
        true,
      );
    }
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
