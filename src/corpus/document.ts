/**
 * The one in-memory document form every reader produces and every writer consumes.
 * Offsets are UTF-16 code units into `text`, `end` exclusive (text.slice(start, end) === entity text).
 */
export interface EntitySpan {
  start: number;
  end: number;
  type: string;
}

export interface Doc {
  id: string;
  text: string;
  entities: EntitySpan[];
}

/** CCKS 2017 Chinese type names ↔ the tag names used in BIO tags. */
export const CCKS2017_TYPES: Readonly<Record<string, string>> = {
  身体部位: 'BODY',
  症状和体征: 'SIGNS',
  检查和检验: 'CHECK',
  疾病和诊断: 'DISEASE',
  治疗: 'TREATMENT',
};
