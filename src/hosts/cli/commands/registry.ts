/**
 * Every CLI command, in the order `cner --help` lists them, loaded lazily: the dispatcher imports a command's
 * module only when that command runs (or shows its help), so `cner tag` never loads the store, S3 or training code.
 * Add a command by appending { name, summary, load } here; its summary must match the module's (a test checks).
 */
import type { Command, CommandEntry } from '../command.js';

export const commands: CommandEntry[] = [
  { name: 'convert', summary: 'convert a corpus between ccks, yidu, bio, jsonl and brat', load: async () => (await import('./convert.js')).convertCommand },
  { name: 'split', summary: 'split a corpus by record into train/dev/test (seeded, 80/10/10)', load: async () => (await import('./split.js')).splitCommand },
  {
    name: 'eval',
    summary: 'score predictions against gold entities (strict/relaxed P/R/F1, confusion, errors)',
    load: async () => (await import('./eval.js')).evalCommand,
  },
  { name: 'info', summary: 'print the summary of a model file (name, version, hash, labels, metrics, size, channels)', load: async () => (await import('./info.js')).infoCommand },
  {
    name: 'embed',
    summary: 'pre-train character or word embeddings (word2vec skip-gram / GloVe) → word2vec text file',
    load: async () => (await import('./embed.js')).default as Command,
  },
  {
    name: 'publish',
    summary: 'upload a model to S3 / R2 / file:// storage, verify it, and make it current in manifest.json',
    load: async () => (await import('./publish.js')).default as Command,
  },
  {
    name: 'rollback',
    summary: 'point manifest.json back to an earlier published model (or list them)',
    load: async () => (await import('./rollback.js')).default as Command,
  },
  { name: 'serve', summary: "serve the tagging API over HTTP (POST /v1/tag; the Worker's API on Node)", load: async () => (await import('./serve.js')).serveCommand },
  {
    name: 'tag',
    summary: 'tag texts, stdin lines or a corpus (interactive prompt on a terminal; worker threads)',
    load: async () => (await import('./tag.js')).tagCommand,
  },
  {
    name: 'train',
    summary: 'train a BiLSTM-CRF model on a labelled corpus and score it on the test split',
    load: async () => (await import('./train.js')).default as Command,
  },
  {
    name: 'retrain',
    summary: 'retrain on annotated records; publish only if at least as good as the current model',
    load: async () => (await import('./retrain.js')).retrainCommand,
  },
];
