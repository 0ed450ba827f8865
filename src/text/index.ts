export * from './normalize.js';
export * from './sentences.js';
