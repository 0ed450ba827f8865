import { formatBratAnn, parseBrat } from '../brat.js';
import { defineFolderFormat } from './spec.js';

export const brat = defineFolderFormat({
  name: 'brat',
  aliases: [],
  summary: 'BRAT standoff folder (<id>.txt + <id>.ann)',
  textSuffix: '.txt',
  annSuffix: '.ann',
  marker: '.ann',
  parse: parseBrat,
  format: (doc) => [
    [`${doc.id}.txt`, doc.text],
    [`${doc.id}.ann`, formatBratAnn(doc)],
  ],
});
