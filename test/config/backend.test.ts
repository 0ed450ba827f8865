/** The training config's `backend` field (issue 15): wasm, webgpu or auto (the default). */
import { describe, expect, it } from 'vitest';
import { LATER_FIELDS, TRAINING_BACKENDS, identityOf, resolveConfig } from '../../src/train/config.js';

describe('TrainConfig.backend', () => {
  it('defaults to auto and takes wasm or webgpu', () => {
    expect(TRAINING_BACKENDS).toEqual(['wasm', 'webgpu', 'auto']);
    expect(resolveConfig().backend).toBe('auto');
    expect(resolveConfig({ backend: 'wasm' }).backend).toBe('wasm');
    expect(resolveConfig({ backend: 'webgpu' }).backend).toBe('webgpu');
  });

  it('refuses any other value, naming the field and the value', () => {
    for (const bad of ['cuda', 'WASM', '', 1, null]) {
      expect(() => resolveConfig({ backend: bad as 'auto' }), String(bad)).toThrow(/backend/);
      expect(() => resolveConfig({ backend: bad as 'auto' }), String(bad)).toThrow(JSON.stringify(bad));
    }
  });

  it('is left out of the identity while it holds its default (keys made before it existed stay)', () => {
    expect(LATER_FIELDS).toContain('backend');
    expect(identityOf(resolveConfig())).not.toHaveProperty('backend');
    expect(identityOf(resolveConfig({ backend: 'webgpu' }))).toHaveProperty('backend', 'webgpu');
  });
});
