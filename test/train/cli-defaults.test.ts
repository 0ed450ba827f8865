/**
 * `cner train` defaults that cannot trap (issue 13): without --config it trains the shipped recipe
 * (configs/default.json of the package, whatever the working folder) with the vectors its "pretrain" section asks
 * for; a config naming vector files that are missing is refused with the file and how to make it; empty dev and
 * test splits say n/a, never 0.0000. Real CLI subprocesses on the small synthetic corpus of test/pipeline.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/model/format.js';
import { loadRunConfig } from '../../src/train/run-config.js';
import { readWord2VecText } from '../../src/train/embed/index.js';
import { ROOT } from '../cli/run-cli.js';
import { ccksLikeDocs, pipelineWorkspace, writeJsonl } from '../pipeline/fixture.js';

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

/** `node <package>/bin/cner.mjs …` run from `cwd` (not the package folder). */
function cnerIn(cwd: string, args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'cner.mjs'), ...args], { cwd, timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const shippedPath = join(ROOT, 'configs', 'default.json');

describe('cner train defaults', () => {
  it('--help says which config is used by default and how to get the paper setup', async () => {
    const r = await cnerIn(ws.dir, ['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--config FILE[^\n]*\n?[^\n]*Default: the shipped recipe, configs\/default\.json/);
    expect(r.stdout).toContain('--config configs/paper.json');
  });

  it('without --config, from another folder: the shipped recipe — its segmenter, weight average, sizes, and word2vec vectors made in DIR/vectors', async () => {
    const shipped = loadRunConfig(shippedPath);
    const out = join(ws.dir, 'default-run');
    const r = await cnerIn(ws.dir, ['train', '--data', ws.corpus, '--out', out, '--epochs', '1', '--workers', '1', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.configFile).toBe(shippedPath);
    expect(shipped.pretrains, 'the shipped recipe has a "pretrain" section').toBe(true);
    expect(metrics.segmenter).toBe(shipped.segmenter);
    // every field of the recipe but those the flags set (--epochs, --workers) and the vectors
    const { embeddings, epochs, workers, ...rest } = metrics.config;
    const { embeddings: _none, epochs: _e, workers: _w, ...want } = shipped.config;
    expect(rest).toEqual(want);
    expect(want.ema).toBeGreaterThan(0);
    expect([epochs, workers]).toEqual([1, 1]);
    // the vectors the recipe pre-trains were made and used
    expect(embeddings).toEqual({ char: join(out, 'vectors', 'char.vec'), word: join(out, 'vectors', 'word.vec') });
    expect(readWord2VecText(readFileSync(embeddings.char, 'utf8')).dim).toBe(shipped.config.charDim);
    expect(readWord2VecText(readFileSync(embeddings.word, 'utf8')).dim).toBe(shipped.config.wordDim);
    expect(metrics.pretrained.map((p: { tensor: string }) => p.tensor)).toEqual(['embed.char', 'embed.word']);
    for (const p of metrics.pretrained) expect(p.found, p.tensor).toBeGreaterThan(0);
    // and the model says so
    const header = readModel(new Uint8Array(readFileSync(join(out, 'model.q8.cner')))).header;
    expect((header.training?.config as { ema: number }).ema).toBe(shipped.config.ema);
  }, 900_000);

  it('--config configs/paper.json works from any folder (looked up in the package); a config found nowhere is a usage error', async () => {
    const out = join(ws.dir, 'paper-run');
    const r = await cnerIn(ws.dir, ['train', '--config', 'configs/paper.json', '--data', ws.corpus, '--out', out, '--epochs', '1', '--workers', '1', '--no-pretrain', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.configFile).toBe(join(ROOT, 'configs', 'paper.json'));
    expect(metrics.config.ema).toBe(0);
    expect(metrics.segmenter).toBe('jieba+entities');
    const none = await cnerIn(ws.dir, ['train', '--config', 'configs/nope.json', '--data', ws.corpus, '--out', join(ws.dir, 'never2')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`option --config: configs/nope.json does not exist (nor ${join(ROOT, 'configs', 'nope.json')} in the cner package)`);
  });

  it('a config naming vector files that are missing: refused, naming the file and how to make it; nothing written', async () => {
    const cfg = join(ws.dir, 'named.json');
    writeFileSync(cfg, JSON.stringify({ charDim: 8, wordDim: 6, lstm: [8], epochs: 1, embeddings: { char: 'vec/char.vec', word: 'vec/word.vec' } }));
    const out = join(ws.dir, 'never');
    const r = await cnerIn(ws.dir, ['train', '--config', cfg, '--data', ws.corpus, '--out', out]);
    expect(r.code).toBe(2);
    const missing = join(ws.dir, 'vec', 'char.vec');
    expect(r.stderr).toContain(`config ${cfg}: embeddings.char names ${missing}, which does not exist.`);
    expect(r.stderr).toContain(`cner embed --data CORPUS --dim 8 --out ${missing}`);
    expect(r.stderr).toContain('--no-pretrain');
    expect(existsSync(out)).toBe(false);
    // the word file is named the same way once the char file is there
    mkdirSync(join(ws.dir, 'vec'));
    writeFileSync(missing, '1 8\nx 0 0 0 0 0 0 0 0\n');
    const w = await cnerIn(ws.dir, ['train', '--config', cfg, '--data', ws.corpus, '--out', out]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain(`cner embed --data CORPUS --unit word --dim 6 --out ${join(ws.dir, 'vec', 'word.vec')}`);
    expect(existsSync(out)).toBe(false);
  });

  it('a "pretrain" section makes only the vectors the config names no file for; a named file is used as it is', async () => {
    const own = join(ws.dir, 'own-char.vec');
    writeFileSync(own, `2 8\n腹 ${'0.5 '.repeat(8).trim()}\n痛 ${'-0.5 '.repeat(8).trim()}\n`);
    const cfg = join(ws.dir, 'half.json');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(ws.tinyConfig, 'utf8')), embeddings: { char: 'own-char.vec' } }));
    const out = join(ws.dir, 'half-run');
    const r = await cnerIn(ws.dir, ['train', '--config', cfg, '--data', ws.corpus, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.config.embeddings).toEqual({ char: own, word: join(out, 'vectors', 'word.vec') });
    expect(existsSync(join(out, 'vectors', 'char.vec'))).toBe(false);
    expect(metrics.pretrained.find((p: { tensor: string }) => p.tensor === 'embed.char').found).toBe(2);
  });

  it('no dev and no test sentences (4 records): the reports say n/a, never 0.0000; the model header has no dev or test figures', async () => {
    const corpus = join(ws.dir, 'four.jsonl');
    writeJsonl(corpus, ccksLikeDocs(4));
    const out = join(ws.dir, 'four-run');
    const r = await cnerIn(ws.dir, ['train', '--config', ws.tinyConfig, '--data', corpus, '--out', out, '--no-pretrain']);
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all).not.toMatch(/F1 0\.0000|P 0\.0000|R 0\.0000/);
    expect(r.stderr).toMatch(/dev F1 n\/a \(no dev sentences\) · test n\/a \(no test sentences\)/);
    expect(r.stdout).toContain('dev F1 n/a (no dev sentences)');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.test).toBeNull();
    const metrics = readModel(new Uint8Array(readFileSync(join(out, 'model.cner')))).header.training?.metrics as Record<string, unknown>;
    expect(metrics).not.toHaveProperty('dev');
    expect(metrics).not.toHaveProperty('test');
  });
});
