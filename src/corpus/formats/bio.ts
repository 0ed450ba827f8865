import { BIO_DOC_MARK, formatBio, parseBio } from '../bio.js';
import { defineFileFormat } from './spec.js';

export const bio = defineFileFormat({
  name: 'bio',
  aliases: ['conll'],
  summary: 'two-column character BIO text (-DOCSTART- <id> lines; whitespace written as \\uXXXX)',
  extensions: ['.bio', '.txt', '.conll', '.tsv'],
  // a -DOCSTART- line or a `<char> <tag>` line (never a JSON object)
  sniff: (line) =>
    !line.trimStart().startsWith('{') && (line.startsWith(BIO_DOC_MARK) || /^\S+[ \t]+(O|[BI]-\S+)$/.test(line)),
  parse: parseBio,
  format: (docs, options) => formatBio(docs, { docIds: options.docIds }),
});
