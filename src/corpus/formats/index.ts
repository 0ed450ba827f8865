/** The corpus formats: the specs (./spec.ts) and their registry (./registry.ts). */
export * from './registry.js';
