/** docs/config.md is what `npm run docs:config` writes from the config schemas today (regenerate it when this fails). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, renderConfigDoc } from '../../scripts/gen-config-docs.js';
import { RETRAIN_CONFIG_SCHEMA } from '../../src/retrain/config.js';
import { TRAIN_CONFIG_SCHEMA } from '../../src/train/config.js';
import { RUN_CONFIG_SCHEMA } from '../../src/train/run-config.js';

describe('docs/config.md', () => {
  it('is up to date with the schemas (npm run docs:config)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8'), 'docs/config.md is stale: run npm run docs:config').toBe(
      renderConfigDoc(),
    );
  });

  it('has a row for every field of every config, with its default', () => {
    const doc = renderConfigDoc();
    for (const schema of [TRAIN_CONFIG_SCHEMA, RUN_CONFIG_SCHEMA, RETRAIN_CONFIG_SCHEMA]) {
      for (const key of Object.keys(schema.properties ?? {})) expect(doc).toContain(`| \`${key}\``);
    }
    expect(doc).toContain('| `optimizer.lr` | number > 0 | `0.001` |');
    expect(doc).toContain('| `backend` | `"wasm"` or `"webgpu"` or `"auto"` | `"auto"` |');
    expect(doc).toContain('| `extraTrain` | list of string (not empty), a path | `[]` |');
  });

  it('changes when a schema changes (the comparison can fail)', () => {
    const before = renderConfigDoc();
    const epochs = TRAIN_CONFIG_SCHEMA.properties!.epochs;
    const saved = epochs.default;
    epochs.default = 31;
    try {
      expect(renderConfigDoc()).not.toBe(before);
    } finally {
      epochs.default = saved;
    }
    expect(renderConfigDoc()).toBe(before);
  });
});
