/** The CLI's commands (./registry.ts). */
export * from './registry.js';
