import { formatJsonl, parseJsonl } from '../jsonl.js';
import { defineFileFormat, jsonObjectLine } from './spec.js';

export const jsonl = defineFileFormat({
  name: 'jsonl',
  aliases: [],
  summary: 'JSON lines {"id","text","entities":[{"start","end","type","text"}]}',
  extensions: ['.jsonl'],
  sniff: (line) => typeof jsonObjectLine(line)?.text === 'string',
  parse: parseJsonl,
  format: (docs) => formatJsonl(docs),
});
