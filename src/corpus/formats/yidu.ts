import { formatYidu, parseYidu } from '../yidu.js';
import { defineFileFormat, jsonObjectLine } from './spec.js';

export const yidu = defineFileFormat({
  name: 'yidu',
  aliases: [],
  summary: 'Yidu-S4K JSON lines (originalText, entities[label_type, start_pos, end_pos])',
  extensions: ['.txt', '.jsonl', '.json'],
  sniff: (line) => typeof jsonObjectLine(line)?.originalText === 'string',
  parse: parseYidu,
  format: (docs) => formatYidu(docs),
});
