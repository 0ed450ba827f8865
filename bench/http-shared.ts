/** Shared by the HTTP benchmarks (http.bench.ts, soak.ts): synthetic clinical-style texts and latency summaries. */

/** Synthetic sentences in the style of a record (written for the benchmarks, never patient data). */
export const SENTENCES = [
  '患者3月前无明显诱因出现上腹部疼痛，伴恶心、呕吐，无发热。',
  '行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗后好转。',
  '查体：神志清，双肺呼吸音清，未闻及干湿性啰音，心率78次/分，律齐。',
  '腹软，右下腹压痛，无反跳痛，肝脾肋下未触及，双下肢无水肿。',
  '血常规：白细胞12.5×10^9/L，中性粒细胞比例85%，CRP 36mg/L。',
  '腹部CT示阑尾增粗，周围脂肪间隙模糊，考虑急性阑尾炎。',
  '入院后予头孢曲松抗感染、补液对症治疗，于全麻下行腹腔镜阑尾切除术。',
  '术后患者恢复可，切口愈合良好，无腹痛腹胀，今日出院。',
];

export function document(length: number): string {
  let s = '';
  for (let i = 0; s.length < length; i++) s += SENTENCES[i % SENTENCES.length];
  return s.slice(0, length);
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
export const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

export interface Latency {
  p50: number;
  p99: number;
}

export function summarize(times: number[]): Latency {
  const s = [...times].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}
