import { CCKS_ANN_SUFFIX, CCKS_TEXT_SUFFIX, formatCcksDoc, parseCcksDoc } from '../ccks2017.js';
import { defineFolderFormat } from './spec.js';

export const ccks = defineFolderFormat({
  name: 'ccks',
  aliases: [],
  summary: 'CCKS 2017 folders (<section>/<id>.txtoriginal.txt + <id>.txt, end inclusive)',
  textSuffix: CCKS_TEXT_SUFFIX,
  annSuffix: CCKS_ANN_SUFFIX,
  marker: CCKS_TEXT_SUFFIX,
  parse: parseCcksDoc,
  format(doc) {
    const f = formatCcksDoc(doc);
    return [
      [f.textPath, f.text],
      [f.annotationPath, f.annotations],
    ];
  },
});
