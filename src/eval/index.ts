export * from './entities.js';
export * from './conlleval.js';
export * from './report.js';
export * from './vote.js';
