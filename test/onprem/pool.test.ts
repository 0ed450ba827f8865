/**
 * The tagging pool survives a dead worker: only the job that worker was running fails, a fresh worker takes its
 * place, and queued and later jobs are answered (issue 12: one crash must never cost another user their answer).
 * The worker is stopped for real (Worker.terminate() on the pool's own thread), as an out-of-memory kill would.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type TaggerPool } from '../../src/hosts/cli/tag/pool.js';
import { createTagger } from '../../src/tagger.js';
import { kernelsPath, vectorModelPath } from './helpers.js';

const model = new Uint8Array(readFileSync(vectorModelPath));
const kernelBytes = readFileSync(kernelsPath);
const texts = ['患者上腹部疼痛三天，伴恶心。', '查体：腹软，无压痛。', '诊断：慢性胃炎，予奥美拉唑治疗。'];

/** the pool's worker threads (a white-box handle for killing one) */
function workers(pool: TaggerPool): Worker[] {
  return (pool as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
}

let pool: TaggerPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('tagging pool', () => {
  it('a killed worker fails only its own job; queued and later jobs are answered by a fresh worker', async () => {
    const kernels = await WebAssembly.compile(kernelBytes);
    const expected = (await createTagger({ model, kernels })).tagMany(texts, {});
    pool = await createPool({ model, kernels }, 1, { offThread: true });
    const victim = workers(pool)[0];
    const running = pool.tagMany(texts, {}); // starts on the only worker
    const queued = pool.tagMany(texts, {}); // waits behind it
    await victim.terminate();
    await expect(running).rejects.toThrow(/tagging worker stopped while running this job/);
    expect(await queued).toEqual(expected);
    expect(await pool.tagMany(texts, {})).toEqual(expected);
    expect(workers(pool)[0]).not.toBe(victim);
  });

  it('gives up with the reason when workers keep dying (a crash loop), and says so for every job', async () => {
    const kernels = await WebAssembly.compile(kernelBytes);
    pool = await createPool({ model, kernels }, 1, { offThread: true });
    let lastError: unknown = null;
    for (let i = 0; i < 10 && lastError === null; i++) {
      const w = workers(pool)[0];
      const job = pool.tagMany(texts, {});
      await w.terminate();
      try {
        await job;
      } catch (e) {
        if (/keep stopping/.test(String(e))) lastError = e;
      }
      // wait until the replacement is up, or the pool gave up
      await pool.tagMany(['空'], {}).catch((e) => (lastError = e));
    }
    expect(String(lastError)).toMatch(/tagging workers keep stopping/);
    await expect(pool.tagMany(texts, {})).rejects.toThrow(/keep stopping/);
  });
});
