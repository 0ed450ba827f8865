/**
 * The backend switch (issue 15): createTrainingBackend's choice for 'wasm', 'webgpu' and 'auto', and
 * `cner train --backend` end to end — the choice printed, kept in the model card (header training.backend), the
 * summary and metrics.json. The runs without an adapter point the Vulkan loader at a driver file that does not
 * exist (a real subprocess: the loader reads its variables once per process).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/model/format.js';
import { WasmBackend } from '../../src/train/backend.js';
import { createTrainingBackend } from '../../src/train/backend-select.js';
import { ParamLayout } from '../../src/train/params.js';
import { findWebGpuAdapter, webgpuSkipReason } from '../../src/train/webgpu/adapter.js';
import { ROOT } from '../cli/run-cli.js';
import { pipelineWorkspace } from '../pipeline/fixture.js';
import { tinyArch } from './tiny.js';

const layout = new ParamLayout(tinyArch());

describe('createTrainingBackend', () => {
  it('refuses an unknown kind and a bad worker count with exact messages', async () => {
    await expect(createTrainingBackend(layout, { backend: 'cuda' as never, workers: 1 })).rejects.toThrow(
      `backend must be 'wasm', 'webgpu', 'auto', got "cuda"`,
    );
    await expect(createTrainingBackend(layout, { backend: 'wasm', workers: 0 })).rejects.toThrow(
      'backend: workers must be an integer ≥ 1, got 0',
    );
  });

  it("'wasm' with one worker is the in-thread WasmBackend", async () => {
    const chosen = await createTrainingBackend(layout, { backend: 'wasm', workers: 1 });
    expect(chosen.backend).toBeInstanceOf(WasmBackend);
    expect({ kind: chosen.kind, name: chosen.name, note: chosen.note }).toEqual({
      kind: 'wasm',
      name: 'wasm, 1 thread',
      note: undefined,
    });
    await chosen.backend.dispose();
  });

  it("'auto' takes wasm (with the config's workers) unless the adapter is a real GPU, and says why", async () => {
    const found = await findWebGpuAdapter();
    if (typeof found !== 'string' && !found.software) {
      // a real GPU: auto is webgpu
      const chosen = await createTrainingBackend(layout, { backend: 'auto', workers: 1 });
      expect([chosen.kind, chosen.adapter]).toEqual(['webgpu', found.name]);
      await chosen.backend.dispose();
      return;
    }
    const chosen = await createTrainingBackend(layout, { backend: 'auto', workers: 1 });
    expect([chosen.kind, chosen.name]).toEqual(['wasm', 'wasm, 1 thread']);
    expect(chosen.backend).toBeInstanceOf(WasmBackend);
    if (typeof found === 'string') expect(chosen.note).toBe(`auto: ${found}`);
    else expect(chosen.note).toBe(`auto: the WebGPU adapter ${found.name} is a software one (slower than wasm)`);
    await chosen.backend.dispose();
  });
});

const ws = pipelineWorkspace();
afterAll(() => ws.cleanup());

/** No Vulkan driver: the loader is pointed at a file that does not exist. */
const NO_DRIVER = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };

function cnerWith(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd: ROOT, env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 64 << 20 };
    execFile(process.execPath, ['bin/cner.mjs', ...args], options, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const trainArgs = (out: string) => [
  'train',
  '--data',
  ws.corpus,
  '--out',
  out,
  '--config',
  ws.tinyConfig,
  '--no-pretrain',
  '--workers',
  '1',
  '--quiet',
];

describe('cner train --backend', () => {
  it('refuses an unknown backend', async () => {
    const r = await cnerWith({}, [...trainArgs(join(ws.dir, 'bogus')), '--backend', 'cuda']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option --backend: expected wasm, webgpu, auto, got 'cuda'");
  });

  it('--backend webgpu without an adapter fails with the reason and writes no model', async () => {
    const out = join(ws.dir, 'webgpu-none');
    const r = await cnerWith(NO_DRIVER, [...trainArgs(out), '--backend', 'webgpu']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'backend webgpu: no WebGPU adapter: the Vulkan loader could not open the driver(s) named by VK_DRIVER_FILES=/nonexistent/icd.json',
    );
    expect(existsSync(join(out, 'model.cner'))).toBe(false);
  });

  it('--backend auto without an adapter trains on wasm, prints why, and the model card, summary and metrics say so', async () => {
    const out = join(ws.dir, 'auto-none');
    const args = trainArgs(out).filter((a) => a !== '--quiet');
    const r = await cnerWith(NO_DRIVER, [...args, '--backend', 'auto']);
    expect(r.code, r.stderr).toBe(0);
    const want = {
      kind: 'wasm',
      name: 'wasm, 1 thread',
      note: "auto: no WebGPU adapter: the Vulkan loader could not open the driver(s) named by VK_DRIVER_FILES=/nonexistent/icd.json VK_ICD_FILENAMES=/nonexistent/icd.json; a GPU needs its vendor's Vulkan driver, a CPU-only machine Mesa's lavapipe (mesa-vulkan-drivers)",
    };
    expect(r.stderr).toContain(`backend: wasm, 1 thread (${want.note})`);
    for (const file of ['model.cner', 'model.q8.cner']) {
      const training = readModel(new Uint8Array(readFileSync(join(out, file)))).header.training as Record<
        string,
        unknown
      >;
      expect(training.backend, file).toEqual(want);
      expect((training.config as { backend: string }).backend).toBe('auto');
    }
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).backend).toEqual(want);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).backend).toEqual(want);
    const info = await cnerWith({}, ['info', join(out, 'model.q8.cner')]);
    expect(info.stdout).toMatch(/^backend +wasm, 1 thread$/m);
  }, 300_000);
});

const skip = await webgpuSkipReason();
if (skip) console.warn(`cner train --backend webgpu skipped: ${skip}`);

describe.skipIf(skip)('cner train --backend webgpu (a WebGPU adapter: lavapipe here)', () => {
  it('trains a model that tags; the card names the adapter', async () => {
    const found = await findWebGpuAdapter();
    if (typeof found === 'string') throw new Error(found);
    const out = join(ws.dir, 'webgpu');
    const r = await cnerWith({}, [...trainArgs(out), '--backend', 'webgpu', '--epochs', '2']);
    expect(r.code, r.stderr).toBe(0);
    const training = readModel(new Uint8Array(readFileSync(join(out, 'model.q8.cner')))).header.training as Record<
      string,
      unknown
    >;
    expect(training.backend).toEqual({
      kind: 'webgpu',
      name: `webgpu: ${found.name}${found.software && !/software/.test(found.name) ? ' (software)' : ''}`,
      adapter: found.name,
    });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { history: { loss: number }[] };
    expect(summary.history.length).toBe(2);
    for (const e of summary.history) expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
    const tagged = await cnerWith({}, ['tag', '--model', join(out, 'model.q8.cner'), '患者腹部压痛三天。']);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout.length).toBeGreaterThan(0);
  }, 300_000);
});
