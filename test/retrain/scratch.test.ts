/**
 * PHI hygiene of `cner retrain` (issue 12 point 6): the temporary copy of the training data (clinical text) lives
 * in a private per-user folder (mode 0700), is removed when the run ends (also on SIGTERM and on a second
 * SIGINT, which exits at once), and what a SIGKILLed run leaves behind is removed when the next run starts.
 * Real child processes running the CLI from the sources; CNER_SCRATCH_DIR points the scratch root into a temp
 * folder so the test never touches the user's cache.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCorpus } from '../../src/io/corpus-io.js';
import { spawnTs } from '../helpers/child.js';
import { synthDocs } from './synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'cner-scratch-test-'));
const scratchRoot = join(tmp, 'private', 'scratch');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A job that trains long enough to be killed mid-run (patience 0: no early stop). */
function job(name: string, epochs: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'retrain.json');
  writeFileSync(
    file,
    JSON.stringify({
      data: [join(tmp, 'data')],
      format: 'jsonl',
      store: `file://${join(dir, 'store')}`,
      train: { charDim: 8, wordDim: 8, lstm: [8], epochs, workers: 1, batchSize: 8, patience: 0, optimizer: { lr: 0.02 } },
      workDir: join(dir, 'work'),
    }),
  );
  return file;
}

function start(config: string) {
  const run = spawnTs('test/store/fixtures/cli.ts', ['retrain', '--config', config], { ...process.env, CNER_SCRATCH_DIR: scratchRoot });
  run.child.stdin.end();
  return { ...run, output: () => run.io.out + run.io.err };
}

/** The run folders in the scratch root that hold a copy of the corpus. */
const copies = (): string[] =>
  existsSync(scratchRoot) ? readdirSync(scratchRoot).filter((d) => existsSync(join(scratchRoot, d, 'corpus.jsonl'))) : [];

/** Waits (bounded: 90 s) until a run has written its copy of the corpus, i.e. is training. */
async function untilTraining(run: ReturnType<typeof start>): Promise<string> {
  for (let i = 0; i < 900; i++) {
    const found = copies();
    if (found.length) return found[0];
    if (run.child.exitCode !== null) throw new Error(`the run ended before training: ${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no scratch copy appeared: ${run.output()}`);
}

beforeAll(async () => {
  await writeCorpus(join(tmp, 'data', 'records.jsonl'), synthDocs(24, { seed: 31 }), { format: 'jsonl' });
});

describe('cner retrain keeps its copy of the training data private and short-lived', () => {
  it('a SIGKILLed run leaves its copy in a private folder; the next run removes it', async () => {
    const killed = start(job('killed', 100_000));
    const leftover = await untilTraining(killed);
    killed.child.kill('SIGKILL');
    await killed.exit;
    // what the killed run left: its own folder, mode 0700, inside a root of mode 0700
    expect(copies()).toEqual([leftover]);
    expect(statSync(scratchRoot).mode & 0o777).toBe(0o700);
    expect(statSync(join(scratchRoot, leftover)).mode & 0o777).toBe(0o700);
    expect(leftover).toMatch(new RegExp(`^run-${killed.child.pid}-`));

    const next = start(job('next', 1));
    const code = await next.exit;
    expect(code, next.output()).toBe(0);
    expect(next.output()).toMatch(/removed 1 scratch folder\(s\) left by killed runs/);
    expect(readdirSync(scratchRoot)).toEqual([]); // the leftover and the new run's own copy are both gone
  });

  it('SIGTERM, and a second SIGINT that exits at once, remove the copy before the process ends', async () => {
    const term = start(job('term', 100_000));
    await untilTraining(term);
    term.child.kill('SIGTERM');
    expect(await term.exit).toBe(143);
    expect(readdirSync(scratchRoot)).toEqual([]);

    const twice = start(job('twice', 100_000));
    await untilTraining(twice);
    twice.child.kill('SIGINT');
    for (let i = 0; i < 300 && !/SIGINT: stopping/.test(twice.output()); i++) await new Promise((r) => setTimeout(r, 100));
    twice.child.kill('SIGINT');
    expect(await twice.exit).toBe(130);
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it('process.exit without the run\'s own clean-up (a second Ctrl-C) still removes the copy', async () => {
    const root = join(tmp, 'exit-root');
    const r = spawnTs('test/retrain/fixtures/scratch-exit.ts', [root]);
    r.child.stdin.end();
    expect(await r.exit, r.io.err).toBe(130);
    const dir = r.io.out.trim();
    expect(dir.startsWith(join(root, 'run-'))).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses a scratch root that is a link, and tightens a loose mode to 0700', async () => {
    const { openScratch } = await import('../../src/retrain/index.js');
    const target = join(tmp, 'elsewhere');
    mkdirSync(target);
    const link = join(tmp, 'link-root');
    symlinkSync(target, link);
    await expect(openScratch(link)).rejects.toThrow(/scratch folder .*link-root is not a folder \(a link\?\): refusing to copy training data there/);
    const loose = join(tmp, 'loose-root');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    const s = await openScratch(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
    await s.dispose();
    expect(readdirSync(loose)).toEqual([]);
  });
});
