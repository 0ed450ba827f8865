/** Always-run test fixtures and a jieba-rs reference built from a spec. */
import { Jieba } from '@node-rs/jieba';
import type { DictSegmenterSpec } from '../../src/segment/index.js';

/** Always-run sentences: clinical text, mixed scripts, numbers, whitespace, emoji, supplementary CJK. */
export const FIXTURES: string[] = [
  '我们中出了一个叛徒',
  'abc网球拍卖会def',
  '我来到北京清华大学',
  '南京市长江大桥',
  '患者上腹部疼痛3天，加重伴恶心呕吐1天。',
  '查体：T36.1C，P87次/分，R18次/分，BP150/93mmHg,心肺查体未见明显异常',
  '双肺呼吸音清，未闻及干湿性啰音。心率78次/分，律齐，各瓣膜听诊区未闻及病理性杂音。',
  '腹平软，无压痛及反跳痛，肝脾肋下未触及，肠鸣音4次/分。',
  '左髋部X光片示：左侧粗隆间骨折。给予补液等对症治疗。',
  'B超示：肝胆胰脾未见异常；CT示：右肺上叶结节，大小约1.5cm×2.0cm。',
  '血常规：WBC 12.5×10^9/L，NEUT% 85.3%，Hb 120g/L，PLT 230×10^9/L。',
  '口服阿司匹林肠溶片100mg qd，氯吡格雷75mg qd。',
  'C++和c#及AT&T，3.5mg/kg，ab-34 y2.5 12.cd',
  '第一行\r\n第二行\n\n第三行\r\r\n  缩进\t制表',
  '全角：ＡＢＣ１２３，半角：ABC123；混合Ａb１2',
  '表情😀👨‍👩‍👧与字符𠀀𪜀㐀鿿豈\u{2F800}',
  'γ射线治疗，α-干扰素，β受体阻滞剂',
  '（1）高血压病3级 极高危组；（2）2型糖尿病',
  '',
  ' ',
  '\r\n',
  'a',
  '上',
];

/**
 * A jieba-rs instance holding exactly a spec's words and frequencies, plus one filler word made of non-block
 * characters (never usable by any cut) carrying the frequency the spec pruned away, so its total is the spec's.
 */
export function jiebaForSpec(spec: DictSegmenterSpec): Jieba {
  let sum = 0;
  const lines = spec.words.map((w, i) => {
    sum += spec.freqs[i];
    return `${w} ${spec.freqs[i]}`;
  });
  const rest = spec.total - sum;
  if (rest > 0) lines.push(`，，， ${rest}`);
  return Jieba.withDict(new TextEncoder().encode(lines.join('\n') + '\n'));
}
