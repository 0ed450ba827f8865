// The JSON-Schema subset of cner and its one validator (requests and config files), defaults and path fields.
export * from './validate.js';
export * from './defaults.js';
export * from './paths.js';
export * from './did-you-mean.js';
