/** The consistency check (./table.ts). */
export * from './table.js';
