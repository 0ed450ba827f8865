/**
 * The inputs of the shared test vectors (platform-neutral: imported by the generator in Node; the Worker and
 * browser tests read the generated vectors.json, which repeats every input next to its expected output).
 */
import type { TagOptions } from '../../src/tagger.js';

export interface VectorInput {
  name: string;
  text: string;
  options: TagOptions;
}

const RECORD =
  '患者3月前无明显诱因出现上腹部疼痛，伴恶心、呕吐，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗后好转。' +
  '查体：神志清，双肺呼吸音清，未闻及干湿性啰音，心率78次/分，腹软，右下腹压痛，无反跳痛。';

/** one sentence of about 370 code points with no terminator: tagged in overlapping windows (over 256) */
const LONG_SENTENCE = Array.from({ length: 13 }, (_, i) => `第${i + 1}次复查腹部CT示肝脏大小形态正常胆囊壁增厚右肾小结石`).join('，');

const TEXTS: Array<[string, string]> = [
  ['clinical record', RECORD],
  ['emoji inside and beside entities', '患者😀右下腹痛🩺三天，👨‍⚕️查体：腹部压痛😷。诊断：急性阑尾炎𠀀。'],
  ['lone surrogates', '右下\uD800腹痛\uDC00三天，\uDC00\uD800腹部压痛，末尾\uD83D'],
  ['full-width characters', 'ＣＴ示右肺结节，ＷＢＣ　１２．３×１０＾９／Ｌ，ＣＲＰ：４５ｍｇ／Ｌ；腹部Ｂ超（－）。'],
  ['CRLF, CR and LF line breaks', '主诉：上腹部疼痛3天。\r\n现病史：伴恶心呕吐\r\n\r\n查体：腹部压痛\r既往史：无\n诊断：急性胃炎\r\n'],
  ['long text (windows)', `${RECORD}${LONG_SENTENCE}。${RECORD}`],
  ['empty', ''],
  ['whitespace only', ' \r\n\t\u3000 '],
  ['ASCII and digits', 'BP 120/80mmHg, HR 78 bpm, T 36.5C; CT: normal.'],
];

/** Every case: each text with the default options and with code point offsets, plus k-best, no consistency, no scores. */
export function vectorInputs(): VectorInput[] {
  const out: VectorInput[] = [];
  for (const [name, text] of TEXTS) {
    out.push({ name, text, options: {} });
    out.push({ name: `${name} / codepoint offsets`, text, options: { offsets: 'codepoint' } });
  }
  const byName = new Map(TEXTS);
  out.push({ name: 'clinical record / kbest 3', text: byName.get('clinical record')!, options: { kbest: 3 } });
  out.push({ name: 'emoji / kbest 2, codepoint', text: byName.get('emoji inside and beside entities')!, options: { kbest: 2, offsets: 'codepoint' } });
  out.push({ name: 'long text / kbest 2', text: byName.get('long text (windows)')!, options: { kbest: 2 } });
  out.push({ name: 'clinical record / no consistency', text: byName.get('clinical record')!, options: { consistency: false } });
  out.push({ name: 'CRLF / no consistency', text: byName.get('CRLF, CR and LF line breaks')!, options: { consistency: false } });
  out.push({ name: 'clinical record / no scores', text: byName.get('clinical record')!, options: { scores: false } });
  out.push({ name: 'long text / maxSentence 40', text: byName.get('long text (windows)')!, options: { maxSentence: 40 } });
  return out;
}

/** Text the vector model's vocabulary is built from (characters outside it map to <unk>). */
export const VOCAB_TEXT = RECORD + LONG_SENTENCE + '右下腹痛三天急性阑尾炎诊断主诉现病史既往史无肺结节CTWBCRP BP HR mmHg bpm';
