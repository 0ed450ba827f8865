/**
 * render.ts: the entity view shared by the page and `cner tag --output-format html` — escaping, UTF-16 offsets
 * with surrogate pairs, nested / adjacent / crossing spans, readable names for the CCKS 2017 and Yidu-S4K types,
 * generated distinct colours for any other type, contrast, and the exact input errors.
 */
import { describe, expect, it } from 'vitest';
import {
  entityTypes,
  escapeHtml,
  FIRST_GENERATED_SLOT,
  labelName,
  labelStyles,
  pageLabelTable,
  renderDocumentsHtml,
  slotColors,
  TEXT_COLOR,
} from '../../src/hosts/http/render.js';
import { renderPage } from '../../src/hosts/http/page.js';

/** the inner HTML of each document's text box */
const textBoxes = (html: string) => [...html.matchAll(/<div class="text">([\s\S]*?)<\/div>/g)].map((m) => m[1]);
const unescape = (s: string) =>
  s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] as string);
/** the text box without its marks, unescaped: must give back the document's text exactly */
const plain = (box: string) => unescape(box.replace(/<mark [^>]*>|<\/mark>/g, ''));
/** the marks of a text box, in document order: [type, inner text (marks removed, unescaped)] */
function marks(box: string): { type: string; text: string; depth: number }[] {
  const out: { type: string; text: string; depth: number }[] = [];
  const open: { type: string; from: number; depth: number }[] = [];
  const re = /<mark [^>]*data-type="([^"]*)"[^>]*>|<\/mark>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(box))) {
    if (m[1] !== undefined) {
      open.push({ type: unescape(m[1]), from: re.lastIndex, depth: open.length });
      out.push({ type: unescape(m[1]), text: '', depth: open.length - 1 });
    } else {
      const o = open.pop()!;
      const entry = out.filter((e) => e.type === o.type && e.depth === o.depth && e.text === '').pop()!;
      entry.text = plain(box.slice(o.from, m.index));
    }
  }
  return out;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('renderDocumentsHtml', () => {
  it('escapes <, &, quotes in the text, the id, the type and the title; the text box gives back the text exactly', () => {
    const text = `<b>"腹痛" & 'x'</b><script>alert(1)</script>`;
    const html = renderDocumentsHtml(
      [{ id: `a"<id>'&`, text, entities: [{ type: `T<"'&>`, start: 3, end: 9, score: 0.5 }] }],
      [],
      { title: `<title> & "q"` },
    );
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<id>');
    expect(html).toContain('<title>&lt;title&gt; &amp; &quot;q&quot;</title>');
    expect(html).toContain('a&quot;&lt;id&gt;&#39;&amp;');
    expect(html).toContain('data-type="T&lt;&quot;&#39;&amp;&gt;"');
    const [box] = textBoxes(html);
    expect(plain(box)).toBe(text);
    expect(marks(box)).toEqual([{ type: `T<"'&>`, text: text.slice(3, 9), depth: 0 }]);
  });

  it('is a standalone file: inline CSS, no script, no external resource', () => {
    const html = renderDocumentsHtml([{ text: '腹痛', entities: [{ type: 'SIGNS', start: 0, end: 2 }] }], ['SIGNS']);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
  });

  it('takes UTF-16 offsets: surrogate pairs before, inside and after entities', () => {
    const text = '😀患者𠀀腹部😀疼痛🩺';
    // 😀 = 2 units, 患者 2, 𠀀 2, 腹部 2, 😀 2, 疼痛 2, 🩺 2
    const entities = [
      { type: 'BODY', start: 4, end: 8 }, // 𠀀腹部
      { type: 'SIGNS', start: 8, end: 12 }, // 😀疼痛 (adjacent to the BODY span)
    ];
    const [box] = textBoxes(renderDocumentsHtml([{ text, entities }], ['BODY', 'SIGNS']));
    expect(plain(box)).toBe(text);
    expect(marks(box)).toEqual([
      { type: 'BODY', text: '𠀀腹部', depth: 0 },
      { type: 'SIGNS', text: '😀疼痛', depth: 0 },
    ]);
    expect(() => renderDocumentsHtml([{ text, entities: [{ type: 'BODY', start: 1, end: 4 }] }], [])).toThrow(
      'renderDocumentsHtml: documents[0].entities[0]: start 1 falls inside a surrogate pair (offsets are UTF-16)',
    );
    expect(() => renderDocumentsHtml([{ text, entities: [{ type: 'BODY', start: 2, end: 5 }] }], [])).toThrow(
      'renderDocumentsHtml: documents[0].entities[0]: end 5 falls inside a surrogate pair (offsets are UTF-16)',
    );
  });

  it('adjacent spans stay separate, nested spans nest, a crossing span is listed instead of drawn', () => {
    const text = '右下腹部疼痛三天';
    const docs = [
      { id: 'adjacent', text, entities: [{ type: 'SIGNS', start: 4, end: 6 }, { type: 'BODY', start: 0, end: 4 }] },
      { id: 'nested', text, entities: [{ type: 'BODY', start: 2, end: 4 }, { type: 'SIGNS', start: 0, end: 6 }] },
      { id: 'same span, two types', text, entities: [{ type: 'BODY', start: 0, end: 4 }, { type: 'SIGNS', start: 0, end: 4 }] },
      { id: 'crossing', text, entities: [{ type: 'BODY', start: 0, end: 4 }, { type: 'SIGNS', start: 2, end: 6 }] },
    ];
    const html = renderDocumentsHtml(docs, ['BODY', 'SIGNS']);
    const boxes = textBoxes(html);
    for (const box of boxes) expect(plain(box)).toBe(text);
    expect(marks(boxes[0])).toEqual([
      { type: 'BODY', text: '右下腹部', depth: 0 },
      { type: 'SIGNS', text: '疼痛', depth: 0 },
    ]);
    expect(marks(boxes[1])).toEqual([
      { type: 'SIGNS', text: '右下腹部疼痛', depth: 0 },
      { type: 'BODY', text: '腹部', depth: 1 },
    ]);
    expect(marks(boxes[2])).toEqual([
      { type: 'BODY', text: '右下腹部', depth: 0 },
      { type: 'SIGNS', text: '右下腹部', depth: 1 },
    ]);
    expect(marks(boxes[3])).toEqual([{ type: 'BODY', text: '右下腹部', depth: 0 }]);
    expect(html).toContain('1 entity overlaps another and is not drawn inline: SIGNS [2, 6) “腹部疼痛”');
  });

  it('shows the type inline after each span and names the CCKS 2017 types in the legend', () => {
    const html = renderDocumentsHtml([{ text: '腹痛', entities: [{ type: 'BODY', start: 0, end: 1, score: 0.98765 }] }], ['O', 'B-BODY', 'I-BODY', 'B-SIGNS', 'I-SIGNS']);
    expect(html).toContain('<mark class="e s0" data-type="BODY" data-label="BODY" title="BODY 身体部位 · 0.988">腹</mark>');
    expect(html).toContain('.e::after{content:attr(data-label)');
    const legend = /<ul class="legend"[^>]*>(.*?)<\/ul>/.exec(html)![1];
    expect([...legend.matchAll(/data-type="([^"]*)">([^<]*)</g)].map((m) => [m[1], m[2]])).toEqual([
      ['BODY', 'BODY 身体部位'],
      ['SIGNS', 'SIGNS 症状和体征'],
    ]);
  });

  it('a label set of its own gets its own legend: Yidu-S4K names, then generated colours for unknown types', () => {
    const labels = ['DRUG', 'LAB', '解剖部位', 'GENE', 'DOSE'];
    const html = renderDocumentsHtml(
      [{ text: '阿司匹林肌酐', entities: [{ type: 'DRUG', start: 0, end: 4 }, { type: 'MUTATION', start: 4, end: 6 }] }],
      labels,
    );
    const legend = /<ul class="legend"[^>]*>(.*?)<\/ul>/.exec(html)![1];
    expect([...legend.matchAll(/class="e s(\d+)" data-type="([^"]*)">([^<]*)</g)].map((m) => [m[2], m[3], Number(m[1])])).toEqual([
      ['DRUG', 'DRUG 药物', 8],
      ['LAB', 'LAB 实验室检验', 6],
      ['解剖部位', '解剖部位 ANATOMY', 9],
      ['GENE', 'GENE', FIRST_GENERATED_SLOT],
      ['DOSE', 'DOSE', FIRST_GENERATED_SLOT + 1],
      ['MUTATION', 'MUTATION', FIRST_GENERATED_SLOT + 2], // occurs in the documents, not in the label set
    ]);
    for (let s = FIRST_GENERATED_SLOT; s <= FIRST_GENERATED_SLOT + 2; s++) {
      expect(html).toContain(`.e.s${s}{background:${slotColors(s).background};border-bottom:3px ${slotColors(s).line} ${slotColors(s).border}}`);
    }
  });

  it('refuses bad input with exact messages that never echo the text', () => {
    const secret = '患者张三腹痛';
    const cases: [unknown, unknown, string][] = [
      [null, [], 'renderDocumentsHtml: documents must be an array, got null'],
      [[{ text: 1, entities: [] }], [], 'renderDocumentsHtml: documents[0].text must be a string'],
      [[{ text: secret }], [], 'renderDocumentsHtml: documents[0].entities must be an array'],
      [[{ text: secret, id: 3, entities: [] }], [], 'renderDocumentsHtml: documents[0].id must be a string'],
      [[{ text: secret, entities: [{ type: '', start: 0, end: 1 }] }], [], 'renderDocumentsHtml: documents[0].entities[0].type must be a non-empty string'],
      [[{ text: secret, entities: [{ type: 'X', start: 2, end: 2 }] }], [], 'renderDocumentsHtml: documents[0].entities[0]: start and end must be integers with 0 <= start < end <= 6 (the text\'s UTF-16 length), got 2 and 2'],
      [[{ text: secret, entities: [{ type: 'X', start: 0, end: 7 }] }], [], 'renderDocumentsHtml: documents[0].entities[0]: start and end must be integers with 0 <= start < end <= 6 (the text\'s UTF-16 length), got 0 and 7'],
      [[{ text: secret, entities: [{ type: 'X', start: 0.5, end: 2 }] }], [], 'renderDocumentsHtml: documents[0].entities[0]: start and end must be integers with 0 <= start < end <= 6 (the text\'s UTF-16 length), got 0.5 and 2'],
      [[{ text: secret, entities: [{ type: 'X', start: 0, end: 2, score: NaN }] }], [], 'renderDocumentsHtml: documents[0].entities[0].score must be a finite number'],
      [[], 'BODY', 'renderDocumentsHtml: labels must be an array of strings, got string'],
      [[], [''], 'labels[0] must be a non-empty string'],
    ];
    for (const [docs, labels, message] of cases) {
      let err: unknown;
      try {
        renderDocumentsHtml(docs as never, labels as never);
      } catch (e) {
        err = e;
      }
      expect((err as Error)?.message).toBe(message);
      expect((err as Error).message).not.toContain('张三');
    }
    expect(() => renderDocumentsHtml([], [], { title: 3 } as never)).toThrow('renderDocumentsHtml: options.title must be a string');
  });
});

describe('labels and colours', () => {
  it('readable names for the CCKS 2017 and Yidu-S4K types, in both spellings; other types as they are', () => {
    expect(['BODY', 'SIGNS', 'CHECK', 'DISEASE', 'TREATMENT'].map(labelName)).toEqual([
      'BODY 身体部位',
      'SIGNS 症状和体征',
      'CHECK 检查和检验',
      'DISEASE 疾病和诊断',
      'TREATMENT 治疗',
    ]);
    expect(['IMAGE', 'LAB', 'SURGERY', 'DRUG', 'ANATOMY'].map(labelName)).toEqual([
      'IMAGE 影像检查',
      'LAB 实验室检验',
      'SURGERY 手术',
      'DRUG 药物',
      'ANATOMY 解剖部位',
    ]);
    expect(['疾病和诊断', '影像检查', '身体部位'].map(labelName)).toEqual(['疾病和诊断 DISEASE', '影像检查 IMAGE', '身体部位 BODY']);
    expect(['GENE', 'constructor', '__proto__'].map(labelName)).toEqual(['GENE', 'constructor', '__proto__']);
  });

  it('a tag set becomes its types; a type list stays as it is', () => {
    expect(entityTypes(['O', 'B-BODY', 'I-BODY', 'B-DRUG', 'I-DRUG'])).toEqual(['BODY', 'DRUG']);
    expect(entityTypes(['B-cell', 'DRUG', 'DRUG'])).toEqual(['B-cell', 'DRUG']);
  });

  it('every type of a label set gets its own colour, also when a Chinese name and its tag name meet', () => {
    const types = ['BODY', '身体部位', ...Array.from({ length: 40 }, (_, i) => `T${i}`)];
    const styles = labelStyles(types);
    expect(styles.map((s) => s.type)).toEqual(types);
    expect(new Set(styles.map((s) => s.slot)).size).toBe(types.length);
    expect(new Set(styles.map((s) => s.background)).size).toBe(types.length);
    expect(styles[0].slot).toBe(0);
    expect(styles[1].slot).toBe(FIRST_GENERATED_SLOT); // slot 0 is taken by BODY
  });

  it('generated colours are far apart for the first dozen types and from the fixed ones (no two near-identical highlights)', () => {
    const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const cols = Array.from({ length: 12 }, (_, i) => rgb(slotColors(FIRST_GENERATED_SLOT + i).background));
    let least = Infinity;
    for (let i = 0; i < cols.length; i++) {
      for (let j = i + 1; j < cols.length; j++) least = Math.min(least, Math.hypot(...cols[i].map((v, k) => v - cols[j][k])));
    }
    expect(least).toBeGreaterThan(12);
    // the first generated colours (a label set with a few types of its own) stay clear of the fixed ones
    const fixed = Array.from({ length: FIRST_GENERATED_SLOT }, (_, i) => rgb(slotColors(i).background));
    let nearest = Infinity;
    for (const c of cols.slice(0, 4)) for (const f of fixed) nearest = Math.min(nearest, Math.hypot(...c.map((v, k) => v - f[k])));
    expect(nearest).toBeGreaterThan(40);
  });

  it('contrast: text on every highlight, and each inline type name on white, reach 4.5:1; underlines 3:1', () => {
    for (let s = 0; s < 100; s++) {
      const c = slotColors(s);
      expect(contrast(TEXT_COLOR, c.background), `slot ${s}`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(c.border, '#ffffff'), `slot ${s}`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(c.border, c.background), `slot ${s}`).toBeGreaterThanOrEqual(3);
    }
  });

  it('line styles vary with the slot, so neighbouring types differ without colour too', () => {
    const lines = Array.from({ length: 4 }, (_, i) => slotColors(i).line);
    expect(new Set(lines).size).toBe(4);
  });

  it('the page carries the same table: names and fixed slots of labelStyles', () => {
    const table = pageLabelTable(64);
    for (const type of ['BODY', 'SIGNS', 'DRUG', '解剖部位', '疾病和诊断']) {
      const [style] = labelStyles([type]);
      expect(table.names[type]).toBe(style.name);
      expect(table.fixed[type]).toBe(style.slot);
    }
    expect(Object.hasOwn(table.fixed, 'constructor')).toBe(false);
    expect(table.first).toBe(FIRST_GENERATED_SLOT);
    const page = renderPage({ mode: 'api' });
    expect(page).toContain(`.e.s63{background:${slotColors(63).background}`);
    expect(page).toContain(JSON.stringify(table));
  });

  it('escapeHtml covers the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderPage', () => {
  it('offline mode needs its inlined assets', () => {
    expect(() => renderPage({ mode: 'offline' })).toThrow('renderPage: offline mode needs inline: { script, kernels, model } (scripts/build-web.mjs builds them)');
    expect(() => renderPage({ mode: 'offline', inline: { script: '', kernels: 'AA==', model: '<x>' } })).toThrow('renderPage: inline.model must be base64');
    expect(() => renderPage({ mode: 'nope' as never })).toThrow("renderPage: mode must be 'api' or 'offline'");
  });

  it('an inlined script cannot close its <script> element early', () => {
    const page = renderPage({ mode: 'offline', inline: { script: 'var s = "</script><script>alert(1)</script>"; var c = "<!--";', kernels: 'AA==', model: 'AA==' } });
    const scripts = [...page.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toContain('var s = "<\\/script><script>alert(1)<\\/script>"; var c = "<\\!--";');
  });

  it('api mode has a token field and sends the token only in a header', () => {
    const page = renderPage({ mode: 'api' });
    expect(page).toContain('<input id="token" type="password"');
    expect(page).toContain("headers.authorization = 'Bearer ' + t");
    expect(page).toContain('sessionStorage');
    expect(page).not.toContain('localStorage');
  });
});
