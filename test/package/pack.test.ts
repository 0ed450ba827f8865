/**
 * The package as users get it: `npm pack` the repository, install the tarball offline into an empty temporary
 * project, and use it there the three documented ways — `npx cner tag …`, `cner serve` + one real request on
 * 127.0.0.1, and `import { loadTagger } from 'cner/node'`. Nothing in the temporary project can reach the
 * repository's src/, node_modules or tsx, so this catches a missing `files` entry, a runtime import of a
 * devDependency, and a path that only resolves inside the git checkout.
 *
 * `npm run build` first (incremental: a no-op when dist/ is current), then `npm pack --ignore-scripts`.
 * The install is offline (`npm ci --offline`): the repository's own `npm ci` put the dependencies' tarballs in
 * npm's cache, but not their registry metadata, so the empty project gets a package-lock.json that pins the
 * tarball and the runtime dependencies to the versions of the repository's lock (lockedProject below).
 * Skips, saying why, only when npm itself is not available.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEXT = '患者3月前无明显诱因出现上腹部疼痛，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗。';
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const npmMissing = npmVersion.error !== undefined || npmVersion.status !== 0;
if (npmMissing) console.warn('test/package/pack.test.ts skipped: `npm --version` failed, so the package cannot be packed here');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (no shell); never rejects, so a test can assert on the exit code and the output. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOk(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
}

/** An environment without the repository's tooling on PATH-like variables that could leak into the project. */
function projectEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'NODE_OPTIONS' || k === 'VITEST' || k.startsWith('VITEST_')) delete env[k];
  return env;
}

type LockEntry = Record<string, unknown> & { version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

/**
 * package.json and package-lock.json of an empty project that depends on the packed tarball: the tarball's entry
 * says what the repository's package.json says, and every runtime dependency (with its own dependencies, optional
 * platform packages included) is the entry of the repository's lock, with its registry tarball URL.
 */
function lockedProject(tarballName: string, integrity: string): { manifest: object; lock: object } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & { version: string; dependencies: Record<string, string> };
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const registry = 'https://registry.npmjs.org/';
  const packages: Record<string, object> = {
    '': { name: 'cner-pack-test', dependencies: { cner: `file:${tarballName}` } },
    'node_modules/cner': {
      version: pkg.version,
      resolved: `file:${tarballName}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: { cner: 'bin/cner.mjs' },
      engines: pkg.engines,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
    },
  };
  const pending = Object.keys(pkg.dependencies);
  while (pending.length > 0) {
    const name = pending.pop()!;
    const key = `node_modules/${name}`;
    if (key in packages) continue;
    const entry = repoLock.packages[key];
    if (entry === undefined) throw new Error(`package-lock.json has no hoisted entry for the runtime dependency ${name}`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    const base = name.slice(name.lastIndexOf('/') + 1);
    packages[key] = { ...rest, resolved: `${registry}${name}/-/${base}-${entry.version}.tgz` };
    pending.push(...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}));
  }
  return {
    manifest: { name: 'cner-pack-test', private: true, type: 'module', dependencies: { cner: `file:${tarballName}` } },
    lock: { name: 'cner-pack-test', lockfileVersion: 3, requires: true, packages },
  };
}

describe.skipIf(npmMissing)('npm package: pack, offline install into an empty project, use', () => {
  let tmp = '';
  let project = '';
  let tarball = '';
  let packedFiles: string[] = [];
  let packedSize = 0;
  let unpackedSize = 0;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cner-pack-'));
    expectOk(await run('npm', ['run', 'build'], ROOT), 'npm run build');
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
    expectOk(pack, 'npm pack');
    const info = (JSON.parse(pack.stdout) as { filename: string; integrity: string; size: number; unpackedSize: number; files: { path: string }[] }[])[0];
    tarball = join(tmp, info.filename);
    packedFiles = info.files.map((f) => f.path);
    packedSize = info.size;
    unpackedSize = info.unpackedSize;

    project = join(tmp, 'project');
    mkdirSync(project);
    copyFileSync(tarball, join(project, info.filename));
    const { manifest, lock } = lockedProject(info.filename, info.integrity);
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, projectEnv());
    expectOk(install, `npm ci --offline with ${info.filename} (the dependencies' tarballs must be in npm's cache: run the repository's npm ci first)`);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the compiled library, the kernels, the model, the launcher and the licences, and no sources or tests', () => {
    for (const f of [
      'package.json', 'README.md', 'LICENSE', 'MODEL_LICENSE', 'bin/cner.mjs', 'build/kernels.wasm', 'build/train.wasm',
      'build/embed.wasm', 'models/default.cner', 'models/default.md', 'configs/default.json',
      'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/hosts/node.js', 'dist/src/hosts/browser.js',
      'dist/src/hosts/cli/main.js', 'dist/src/hosts/cli/tag/worker.js',
    ]) {
      expect(packedFiles, f).toContain(f);
    }
    for (const f of packedFiles) {
      expect(f, 'nothing outside the files list').toMatch(/^(package\.json|README\.md|LICENSE|MODEL_LICENSE|bin\/|build\/|models\/|configs\/|dist\/(src|web)\/)/);
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
    const child: ChildProcess = spawn(bin, ['serve', '--model', model, '--port', '0'], { cwd: project, env: projectEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        const timer = setTimeout(() => reject(new Error(`cner serve did not start in 60 s:\n${stderr}`)), 60_000);
        child.stderr!.on('data', (b: Buffer) => {
          stderr += b.toString('utf8');
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`cner serve exited ${code}:\n${stderr}`));
        });
      });
      const res = await fetch(`${url}/v1/tag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXT }) });
      expect(res.status).toBe(200);
      const body = JSON.stringify(await res.json());
      expect(body).toContain('"type":"BODY"');
      expect(body).toContain('上腹部');
    } finally {
      child.kill('SIGTERM');
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

  it('an s3:// store without the optional AWS SDK says how to install it', async () => {
    const model = join(project, 'node_modules', 'cner', 'models', 'default.cner');
    const env = { ...projectEnv(), S3_ENDPOINT: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    const r = await run('npx', ['--no-install', 'cner', 'publish', model, '--to', 's3://models'], project, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('npm install @aws-sdk/client-s3');
  });
});
