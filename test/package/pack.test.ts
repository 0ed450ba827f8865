/**
 * The package as users get it: `npm pack` the repository, install the tarball offline into an empty temporary
 * project, and use it there the three documented ways — `npx cner tag …`, `cner serve` + one real request on
 * 127.0.0.1, and `import { loadTagger } from 'cner/node'`. Nothing in the temporary project can reach the
 * repository's src/, node_modules or tsx, so this catches a missing `files` entry, a runtime import of a
 * devDependency, and a path that only resolves inside the git checkout.
 *
 * How it is packed and installed (offline): installed.ts.
 * Skips, saying why, only when npm itself is not available.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe } from '../http/serve-process.js';
import { expectOk, npmUnavailable, packAndInstall, projectEnv, ROOT, run } from './installed.js';

const TEXT = '患者3月前无明显诱因出现上腹部疼痛，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗。';
const npmMissing = npmUnavailable();
if (npmMissing !== null) console.warn(`test/package/pack.test.ts skipped: ${npmMissing}`);

describe.skipIf(npmMissing !== null)('npm package: pack, offline install into an empty project, use', () => {
  let tmp = '';
  let project = '';
  let packedFiles: string[] = [];
  let packedSize = 0;
  let unpackedSize = 0;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cner-pack-'));
    ({ project, files: packedFiles, packedSize, unpackedSize } = await packAndInstall(tmp));
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the compiled library, the kernels, the model, the launcher and the licences, and no sources or tests', () => {
    for (const f of [
      'package.json', 'README.md', 'LICENSE', 'MODEL_LICENSE', 'bin/cner.mjs', 'build/kernels.wasm', 'build/kernels-relaxed.wasm', 'build/train.wasm',
      'build/embed.wasm', 'models/default.cner', 'models/default.md', 'configs/default.json',
      'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/hosts/node.js', 'dist/src/hosts/browser.js',
      'dist/src/hosts/cli/main.js', 'dist/src/hosts/cli/tag/worker.js',
    ]) {
      expect(packedFiles, f).toContain(f);
    }
    for (const f of packedFiles) {
      expect(f, 'nothing outside the files list').toMatch(/^(package\.json|README\.md|LICENSE|MODEL_LICENSE|bin\/|build\/|models\/|configs\/|dist\/src\/)/);
      expect(f, 'no source maps for sources that are not shipped').not.toMatch(/\.map$/);
    }
    console.log(`cner tarball: ${packedFiles.length} files, ${(packedSize / 1024).toFixed(0)} KiB packed, ${(unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  });

  it('installs only the runtime dependencies (no tsx, no TypeScript toolchain, no AWS SDK)', () => {
    const modules = join(project, 'node_modules');
    expect(existsSync(join(modules, 'cner', 'dist', 'src', 'hosts', 'node.js'))).toBe(true);
    for (const dev of ['tsx', 'typescript', 'esbuild', 'vitest', 'assemblyscript', '@aws-sdk/client-s3', 'wrangler']) {
      expect(existsSync(join(modules, dev)), `${dev} must not be installed with cner`).toBe(false);
    }
  });

  it('`npx cner tag "…"` prints the entities, and `cner --version` the package version', async () => {
    const tag = await run('npx', ['--no-install', 'cner', 'tag', TEXT], project, projectEnv());
    expectOk(tag, 'npx cner tag');
    expect(tag.stdout).toMatch(/\tBODY\t\d+\t\d+\t上腹部\t/);
    expect(tag.stdout).toMatch(/\tSIGNS\t\d+\t\d+\t疼痛\t/);
    // the relaxed-SIMD build ships too, and CNER_KERNELS=relaxed finds it in the installed package (README, Speed)
    const relaxed = await run('npx', ['--no-install', 'cner', 'tag', TEXT], project, { ...projectEnv(), CNER_KERNELS: 'relaxed' });
    expectOk(relaxed, 'CNER_KERNELS=relaxed npx cner tag');
    const spans = (o: string) => o.split('\n').map((l) => l.split('\t').slice(0, 5).join('\t')).filter(Boolean);
    expect(spans(relaxed.stdout)).toEqual(spans(tag.stdout));
    const version = await run('npx', ['--no-install', 'cner', '--version'], project, projectEnv());
    expectOk(version, 'npx cner --version');
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('`cner tag --threads 2` runs its worker threads from the compiled code', async () => {
    const input = join(tmp, 'in.txt');
    writeFileSync(input, `${TEXT}\n${TEXT}\n${TEXT}\n`);
    const tag = await run('npx', ['--no-install', 'cner', 'tag', '--input', input, '--output-format', 'jsonl', '--threads', '2'], project, projectEnv());
    expectOk(tag, 'npx cner tag --threads 2');
    const docs = tag.stdout.trim().split('\n').map((line) => JSON.parse(line) as { entities: { type: string; text: string }[] });
    expect(docs).toHaveLength(3);
    for (const doc of docs) expect(doc.entities).toContainEqual(expect.objectContaining({ type: 'BODY', text: '上腹部' }));
  });

  it('`cner serve` answers a real request on 127.0.0.1', async () => {
    const bin = join(project, 'node_modules', '.bin', 'cner');
    const model = join(project, 'node_modules', 'cner', 'models', 'default.cner');
    const server = await spawnServe(['--model', model, '--port', '0'], { cli: { file: bin, args: [] }, cwd: project, env: projectEnv() });
    try {
      const res = await fetch(`${server.url}/v1/tag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXT }) });
      expect(res.status).toBe(200);
      const body = JSON.stringify(await res.json());
      expect(body).toContain('"type":"BODY"');
      expect(body).toContain('上腹部');
    } finally {
      await server.stop();
    }
  });

  it("`import { loadTagger } from 'cner/node'` tags with the bundled model and kernels", async () => {
    const script = `import { loadTagger } from 'cner/node';
const tagger = await loadTagger();
console.log(JSON.stringify(tagger.tag(${JSON.stringify(TEXT)}).entities.map((e) => [e.type, e.text])));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], project, projectEnv());
    expectOk(r, "node -e \"import('cner/node')\"");
    const entities = JSON.parse(r.stdout) as [string, string][];
    expect(entities).toContainEqual(['BODY', '上腹部']);
    expect(entities).toContainEqual(['SIGNS', '疼痛']);
    const root = await run(process.execPath, ['--input-type=module', '-e', `import * as m from 'cner'; console.log(typeof m.createTagger);`], project, projectEnv());
    expectOk(root, "node -e \"import('cner')\"");
    expect(root.stdout.trim()).toBe('function');
  });

  it('`cner train` trains the shipped recipe (configs/default.json of the package, jieba, two worker threads) and scores its test split', async () => {
    // 20 made-up one-sentence documents, so that the split by document has dev and test documents
    const lines = Array.from({ length: 20 }, (_, i) => {
      const text = `患者${i + 1}天前上腹部疼痛，行胃镜检查。`;
      const at = text.indexOf('上腹部');
      const check = text.indexOf('胃镜');
      const entities = [
        { start: at, end: at + 3, type: 'BODY', text: '上腹部' },
        { start: at + 3, end: at + 5, type: 'SIGNS', text: '疼痛' },
        { start: check, end: check + 2, type: 'CHECK', text: '胃镜' },
      ];
      return JSON.stringify({ id: `doc-${i}`, text, entities });
    });
    const data = join(tmp, 'train.jsonl');
    writeFileSync(data, lines.join('\n') + '\n');
    const out = join(tmp, 'run');
    const r = await run('npx', ['--no-install', 'cner', 'train', '--data', data, '--out', out, '--no-pretrain', '--epochs', '1', '--quiet'], project, projectEnv());
    expectOk(r, 'npx cner train');
    expect(existsSync(join(out, 'model.q8.cner'))).toBe(true);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { configFile: string; segmenter: string; test: { f32: { consistency: { docs: number } } } };
    expect(metrics.configFile).toBe(join(project, 'node_modules', 'cner', 'configs', 'default.json'));
    expect(metrics.segmenter).toBe('jieba');
    expect(metrics.test.f32.consistency.docs).toBe(2);
  });

  it('an s3:// store without the optional AWS SDK says how to install it', async () => {
    const model = join(project, 'node_modules', 'cner', 'models', 'default.cner');
    const env = { ...projectEnv(), S3_ENDPOINT: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    const r = await run('npx', ['--no-install', 'cner', 'publish', model, '--to', 's3://models'], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('npm install @aws-sdk/client-s3');
  });
});
