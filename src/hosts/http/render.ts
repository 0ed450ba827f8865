/**
 * The entity view shared by the page (page.ts) and `cner tag --output-format html`: readable label names,
 * one colour and one line style per entity type, the type shown inline after each span (like displaCy),
 * and a standalone HTML file for tagged documents.
 *
 * Platform-neutral string building (no DOM, no node:): it runs in Node, workerd and browsers.
 * Every piece of text that reaches the HTML goes through escapeHtml().
 *
 * Colours: the CCKS 2017 and Yidu-S4K types have fixed slots; any other type gets the next slot of a generated
 * palette (golden-angle hues), so a model with any label set gets distinct colours. Each slot also has its own
 * underline style, and the type name is written after the span, so the view does not rely on colour alone.
 * Text on a highlight and the inline type name on white both reach a WCAG contrast ratio of at least 4.5.
 */
import { CCKS2017_TYPES } from '../../corpus/document.js';
import { YIDU_TYPES } from '../../corpus/yidu.js';

export interface RenderEntity {
  type: string;
  /** UTF-16 offset into the document's text */
  start: number;
  /** UTF-16 offset, exclusive */
  end: number;
  score?: number;
}

export interface RenderDocument {
  id?: string;
  text: string;
  entities: RenderEntity[];
}

export interface RenderOptions {
  /** the page title (default "cner — tagged documents") */
  title?: string;
}

/** How one entity type looks. */
export interface LabelStyle {
  /** the type as the model names it */
  type: string;
  /** readable name for the legend, e.g. "BODY 身体部位" */
  name: string;
  /** CSS class `s<slot>` */
  slot: number;
  /** highlight colour (#rrggbb) */
  background: string;
  /** underline and inline-label colour (#rrggbb) */
  border: string;
  /** underline style */
  line: 'solid' | 'dashed' | 'dotted' | 'double';
}

/** The text colour on highlights. */
export const TEXT_COLOR = '#111111';

/** Known types: tag name, its Chinese name, and its fixed colours (slot = position here). */
const KNOWN: readonly { code: string; background: string; border: string }[] = [
  { code: 'BODY', background: '#cfe8ff', border: '#1f5f99' },
  { code: 'SIGNS', background: '#ffd6d6', border: '#a32020' },
  { code: 'CHECK', background: '#d9f7d0', border: '#2a6e1d' },
  { code: 'DISEASE', background: '#ffe7b3', border: '#7f5300' },
  { code: 'TREATMENT', background: '#e6d6ff', border: '#5b2ca0' },
  { code: 'IMAGE', background: '#c9f2ef', border: '#0f625d' },
  { code: 'LAB', background: '#f9d9ee', border: '#8f2a6b' },
  { code: 'SURGERY', background: '#e8eccb', border: '#535b12' },
  { code: 'DRUG', background: '#ffdcc2', border: '#8c420e' },
  { code: 'ANATOMY', background: '#d3e0ff', border: '#2b4a9e' },
];
const LINES: readonly LabelStyle['line'][] = ['solid', 'dashed', 'dotted', 'double'];

/** Chinese name of each known tag name (DISEASE is 疾病和诊断 in both corpora). */
const CHINESE: ReadonlyMap<string, string> = new Map(
  [...Object.entries(YIDU_TYPES), ...Object.entries(CCKS2017_TYPES)].map(([zh, code]) => [code, zh]),
);
/** Tag name of each Chinese type name (a model may be trained on the Chinese names themselves). */
const CODE_OF: ReadonlyMap<string, string> = new Map([...Object.entries(YIDU_TYPES), ...Object.entries(CCKS2017_TYPES)]);

/** The first slot of the generated palette. */
export const FIRST_GENERATED_SLOT = KNOWN.length;

/** Readable name of a type: "BODY 身体部位", "解剖部位 ANATOMY", or the type itself. */
export function labelName(type: string): string {
  const other = CHINESE.get(type) ?? CODE_OF.get(type);
  return other === undefined ? type : `${type} ${other}`;
}

/** The fixed slot of a known type (tag name or Chinese name), or undefined. */
export function fixedSlot(type: string): number | undefined {
  const i = KNOWN.findIndex((k) => k.code === (CODE_OF.get(type) ?? type));
  return i < 0 ? undefined : i;
}

/**
 * What the page needs to style types in the browser with labelStyles' rule: the readable name and fixed slot of
 * every known type (tag names and Chinese names), the first generated slot, and how many slots its CSS holds.
 */
export function pageLabelTable(slots: number): { names: Record<string, string>; fixed: Record<string, number>; first: number; slots: number } {
  if (!Number.isInteger(slots) || slots <= FIRST_GENERATED_SLOT) throw new RangeError(`pageLabelTable: slots must be an integer above ${FIRST_GENERATED_SLOT}, got ${slots}`);
  const known = [...CHINESE.keys(), ...CODE_OF.keys()];
  return {
    names: Object.fromEntries(known.map((t) => [t, labelName(t)])),
    fixed: Object.fromEntries(known.map((t) => [t, fixedSlot(t) as number])),
    first: FIRST_GENERATED_SLOT,
    slots,
  };
}

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** Colours of slot `slot`: fixed for the known types, generated (golden-angle hues) beyond them. */
export function slotColors(slot: number): { background: string; border: string; line: LabelStyle['line'] } {
  if (!Number.isInteger(slot) || slot < 0) throw new RangeError(`slotColors: slot must be a non-negative integer, got ${slot}`);
  const line = LINES[slot % LINES.length];
  if (slot < KNOWN.length) return { background: KNOWN[slot].background, border: KNOWN[slot].border, line };
  const g = slot - KNOWN.length;
  // start hue and tone chosen to keep the first generated colours far from the fixed ones (saturated, a little darker)
  const hue = (g * 137.508 + 218) % 360;
  const band = Math.floor(g / 12) % 3; // later rounds shift lightness a little so repeated hues still differ
  return { background: hslToHex(hue, 1, 0.78 - band * 0.03), border: hslToHex(hue, 0.75, 0.24 - band * 0.02), line };
}

/**
 * Entity types from a label list: a tag set (it holds "O"; "B-BODY", "I-BODY", … become "BODY") or a list of
 * types; duplicates removed, order kept.
 */
export function entityTypes(labels: readonly string[]): string[] {
  if (!Array.isArray(labels)) throw new TypeError(`entityTypes: labels must be an array of strings, got ${labels === null ? 'null' : typeof labels}`);
  const tagSet = labels.includes('O');
  const out: string[] = [];
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l === '') throw new TypeError(`labels[${i}] must be a non-empty string`);
    if (tagSet && l === 'O') return;
    const t = tagSet ? l.replace(/^[BIESM]-/, '') : l;
    if (!out.includes(t)) out.push(t);
  });
  return out;
}

/**
 * The style of each type: a known type takes its fixed slot (unless an earlier type holds it), every other
 * type the next generated slot, in order. The page applies the same rule in the browser (page.ts, styleTypes).
 */
export function labelStyles(types: readonly string[]): LabelStyle[] {
  const used = new Set<number>();
  let next = FIRST_GENERATED_SLOT;
  return entityTypes(types).map((type) => {
    let slot = fixedSlot(type);
    if (slot === undefined || used.has(slot)) slot = next++;
    used.add(slot);
    return { type, name: labelName(type), slot, ...slotColors(slot) };
  });
}

/** CSS for slots [0, count): highlight, underline and inline-label colours. */
export function slotCss(count: number): string {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`slotCss: count must be a non-negative integer, got ${count}`);
  const rules: string[] = [];
  for (let s = 0; s < count; s++) {
    const c = slotColors(s);
    rules.push(`.e.s${s}{background:${c.background};border-bottom:3px ${c.line} ${c.border}}.e.s${s}::after{color:${c.border};border-color:${c.border}}`);
  }
  return rules.join('\n');
}

/** The view's fixed CSS: highlights (class `e` + `s<slot>`, attribute data-label shown after the span), legend. */
export const VIEW_CSS = `.e{color:${TEXT_COLOR};border-radius:3px;padding:0 2px;margin:0 1px;line-height:2;-webkit-box-decoration-break:clone;box-decoration-break:clone}
.e::after{content:attr(data-label);font-size:.62em;font-weight:700;letter-spacing:.02em;background:#fff;border:1px solid;border-radius:3px;padding:0 3px;margin-left:3px;vertical-align:.15em;font-family:system-ui,sans-serif}
.e .e{line-height:1.6}
.legend{display:flex;flex-wrap:wrap;gap:.3rem .6rem;padding:0;list-style:none}
.legend .e::after{content:none}`;

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The legend: one highlighted readable name per type. */
function legendHtml(styles: readonly LabelStyle[]): string {
  const items = styles.map(
    (s) => `<li><mark class="e s${s.slot}" data-type="${escapeHtml(s.type)}">${escapeHtml(s.name)}</mark></li>`,
  );
  return `<ul class="legend" aria-label="entity types">${items.join('')}</ul>`;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** whether offset `at` falls between the two halves of a surrogate pair */
const splitsPair = (text: string, at: number) => at > 0 && at < text.length && isHigh(text.charCodeAt(at - 1)) && isLow(text.charCodeAt(at));

function checkDocuments(docs: unknown): asserts docs is RenderDocument[] {
  if (!Array.isArray(docs)) throw new TypeError(`renderDocumentsHtml: documents must be an array, got ${docs === null ? 'null' : typeof docs}`);
  docs.forEach((d: unknown, i) => {
    const where = `renderDocumentsHtml: documents[${i}]`;
    if (!d || typeof d !== 'object') throw new TypeError(`${where} must be an object`);
    const doc = d as Record<string, unknown>;
    if (typeof doc.text !== 'string') throw new TypeError(`${where}.text must be a string`);
    if (doc.id !== undefined && typeof doc.id !== 'string') throw new TypeError(`${where}.id must be a string`);
    if (!Array.isArray(doc.entities)) throw new TypeError(`${where}.entities must be an array`);
    const n = doc.text.length;
    doc.entities.forEach((e: unknown, j) => {
      const at = `${where}.entities[${j}]`;
      if (!e || typeof e !== 'object') throw new TypeError(`${at} must be an object`);
      const { type, start, end, score } = e as Record<string, unknown>;
      if (typeof type !== 'string' || type === '') throw new TypeError(`${at}.type must be a non-empty string`);
      if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) > n || (start as number) >= (end as number)) {
        throw new RangeError(`${at}: start and end must be integers with 0 <= start < end <= ${n} (the text's UTF-16 length), got ${String(start)} and ${String(end)}`);
      }
      for (const [k, v] of [['start', start], ['end', end]] as const) {
        if (splitsPair(doc.text as string, v as number)) throw new RangeError(`${at}: ${k} ${v as number} falls inside a surrogate pair (offsets are UTF-16)`);
      }
      if (score !== undefined && (typeof score !== 'number' || !Number.isFinite(score))) throw new TypeError(`${at}.score must be a finite number`);
    });
  });
}

/**
 * The inline view of one text: properly nested entities nest; an entity that crosses another's boundary
 * cannot be drawn inline and is returned in `crossing` (the caller lists it).
 */
function highlightHtml(text: string, entities: readonly RenderEntity[], slotOf: (type: string) => number): { html: string; crossing: RenderEntity[] } {
  const sorted = entities.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || b.e.end - a.e.end || a.i - b.i);
  const crossing: RenderEntity[] = [];
  const open: RenderEntity[] = [];
  let html = '';
  let at = 0;
  const closeUntil = (pos: number) => {
    while (open.length > 0 && open[open.length - 1].end <= pos) {
      const top = open.pop() as RenderEntity;
      html += escapeHtml(text.slice(at, top.end)) + '</mark>';
      at = top.end;
    }
  };
  for (const { e } of sorted) {
    closeUntil(e.start);
    if (open.length > 0 && e.end > open[open.length - 1].end) {
      crossing.push(e);
      continue;
    }
    html += escapeHtml(text.slice(at, e.start));
    at = e.start;
    const title = labelName(e.type) + (e.score !== undefined ? ` · ${e.score.toFixed(3)}` : '');
    html += `<mark class="e s${slotOf(e.type)}" data-type="${escapeHtml(e.type)}" data-label="${escapeHtml(e.type)}" title="${escapeHtml(title)}">`;
    open.push(e);
  }
  closeUntil(Infinity);
  html += escapeHtml(text.slice(at));
  return { html, crossing };
}

/**
 * A standalone HTML file (inline CSS, no script, no external resource) showing each document with its
 * entities highlighted and typed inline, and a legend for `labels` (a tag set or a list of types) plus any
 * other type that occurs. Offsets are UTF-16, end exclusive.
 */
export function renderDocumentsHtml(
  docs: { id?: string; text: string; entities: { type: string; start: number; end: number; score?: number }[] }[],
  labels: string[],
  options?: { title?: string },
): string {
  checkDocuments(docs);
  if (!Array.isArray(labels)) throw new TypeError(`renderDocumentsHtml: labels must be an array of strings, got ${labels === null ? 'null' : typeof labels}`);
  const types = entityTypes(labels);
  for (const d of docs) for (const e of d.entities) if (!types.includes(e.type)) types.push(e.type);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('renderDocumentsHtml: options must be an object');
  if (options?.title !== undefined && typeof options.title !== 'string') throw new TypeError('renderDocumentsHtml: options.title must be a string');
  const title = options?.title ?? 'cner — tagged documents';
  const styles = labelStyles(types);
  const slot = new Map(styles.map((s) => [s.type, s.slot]));
  const maxSlot = Math.max(FIRST_GENERATED_SLOT - 1, ...styles.map((s) => s.slot));
  const sections = docs.map((d, i) => {
    const { html, crossing } = highlightHtml(d.text, d.entities, (t) => slot.get(t) as number);
    const heading = d.id !== undefined ? escapeHtml(d.id) : `document ${i + 1}`;
    const note =
      crossing.length === 0
        ? ''
        : `<p class="note">${crossing.length} ${crossing.length === 1 ? 'entity overlaps another and is' : 'entities overlap others and are'} not drawn inline: ` +
          crossing.map((e) => `${escapeHtml(e.type)} [${e.start}, ${e.end}) “${escapeHtml(d.text.slice(e.start, e.end))}”`).join('; ') +
          '</p>';
    return `<section><h2>${heading} <small>${d.entities.length} ${d.entities.length === 1 ? 'entity' : 'entities'}</small></h2>\n<div class="text">${html}</div>${note}</section>`;
  });
  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cner">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.6 system-ui,"Noto Sans CJK SC",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{font-size:1rem;margin:1.5rem 0 .3rem}h2 small{color:#555;font-weight:normal}
.text{white-space:pre-wrap;border:1px solid #ccc;padding:.75rem}.note{color:#555;font-size:.9em}
${VIEW_CSS}
${slotCss(maxSlot + 1)}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${legendHtml(styles)}
${sections.join('\n')}
</body>
</html>
`;
}
