/**
 * The page where a person pastes a record and sees its entities highlighted, each typed inline.
 * mode 'api':     served by the Worker / Node server at GET /, tags through POST /v1/tag; the legend comes from
 *                 GET /v1/model (its `labels`); an optional bearer token (kept in sessionStorage only, sent as
 *                 `Authorization: Bearer …`, never in a URL) for servers with auth on.
 * mode 'offline': the self-contained build (npm run build:web): the browser bundle, the kernels and the model are
 *                 inlined, so the file works opened from disk (file://) as well as served; the text never leaves
 *                 the browser, and the page makes no request at all.
 * Labels, colours, line styles and the legend come from render.ts (the same view as `cner tag --output-format html`).
 * The text is only ever put into the page as text nodes / textContent (never innerHTML).
 */
import { pageLabelTable, slotCss, VIEW_CSS } from './render.js';

export interface PageOptions {
  mode: 'api' | 'offline';
  /** offline mode: what the page carries inline */
  inline?: {
    /** the browser bundle as a classic script that defines globalThis.cnerBrowser (esbuild iife) */
    script: string;
    /** kernels.wasm, base64 */
    kernels: string;
    /** the model file, base64 */
    model: string;
  };
}

const SAMPLE = '患者3月前无明显诱因出现上腹部疼痛，伴恶心、呕吐，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗后好转。';
/** colour slots the page's CSS holds; types beyond them reuse generated slots */
const PAGE_SLOTS = 64;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Puts a script's text inside <script>…</script> safely (a `</script` or `<!--` inside it would end or derail it). */
export function inlineScriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

let styleCache: string | undefined;

export function renderPage(opts: PageOptions): string {
  if (!opts || (opts.mode !== 'api' && opts.mode !== 'offline')) throw new TypeError(`renderPage: mode must be 'api' or 'offline'`);
  const offline = opts.mode === 'offline';
  if (offline) {
    const inl = opts.inline;
    if (!inl || typeof inl.script !== 'string' || typeof inl.kernels !== 'string' || typeof inl.model !== 'string') {
      throw new TypeError('renderPage: offline mode needs inline: { script, kernels, model } (scripts/build-web.mjs builds them)');
    }
    for (const k of ['kernels', 'model'] as const) if (!BASE64.test(inl[k])) throw new TypeError(`renderPage: inline.${k} must be base64`);
  }
  const config = JSON.stringify({ mode: opts.mode, table: pageLabelTable(PAGE_SLOTS) }).replace(/</g, '\\u003c');
  styleCache ??= `${VIEW_CSS}\n${slotCss(PAGE_SLOTS)}`;
  const auth = offline
    ? ''
    : `<details id="auth"><summary>Access token</summary>
<p><label for="token">Bearer token, if this server asks for one</label> <input id="token" type="password" autocomplete="off" spellcheck="false" size="40">
<br><small>Kept in this tab's session storage only (gone when the tab closes); sent as an Authorization header, never in a URL.</small></p>
</details>`;
  const assets = offline
    ? `<script type="application/octet-stream" id="cner-kernels">${opts.inline!.kernels}</script>
<script type="application/octet-stream" id="cner-model">${opts.inline!.model}</script>
<script>${inlineScriptText(opts.inline!.script)}</script>`
    : '';
  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cner — clinical entity recognition${offline ? ' (offline)' : ''}</title>
<style>
  body { font: 16px/1.6 system-ui, "Noto Sans CJK SC", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  textarea { width: 100%; min-height: 9rem; font: inherit; padding: .5rem; box-sizing: border-box; }
  button { font: inherit; padding: .3rem 1.2rem; margin: .5rem 0; }
  #out { white-space: pre-wrap; border: 1px solid #ccc; padding: .75rem; min-height: 3rem; }
  #status { color: #555; font-size: .9em; } body[data-state=error] #status, body[data-state=unauthorized] #status { color: #a00; font-weight: 600; }
  details { margin: .5rem 0; } summary { cursor: pointer; color: #333; }
  table { border-collapse: collapse; margin-top: 1rem; font-size: .9em; } td, th { border-bottom: 1px solid #eee; padding: .2rem .6rem; text-align: left; }
${styleCache}
</style>
</head>
<body>
<h1>Clinical entity recognition</h1>
<noscript><p>This page needs JavaScript to tag a record.</p></noscript>
<ul class="legend" id="legend" aria-label="entity types"></ul>
${auth}
<label for="text">Record</label>
<textarea id="text">${SAMPLE}</textarea>
<div><button id="go">Tag</button> <span id="status" role="status"></span></div>
<div id="out" aria-live="polite"></div>
<table id="list"><thead><tr><th>type</th><th>start</th><th>end</th><th>text</th><th>score</th></tr></thead><tbody></tbody></table>
${assets}
<script type="module">
const config = ${config};
const table = config.table;
const $ = (id) => document.getElementById(id);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const TOKEN_KEY = 'cner.token';

// render.ts entityTypes and labelStyles, in the browser: a tag set becomes its types; known types keep their slot
function typesOf(labels) {
  const tagSet = labels.includes('O');
  const out = [];
  for (const l of labels) {
    if (tagSet && l === 'O') continue;
    const t = tagSet ? l.replace(/^[BIESM]-/, '') : l;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}
let types = [];
let styles = new Map();
function setTypes(list) {
  const used = new Set();
  let next = table.first;
  styles = new Map();
  for (const type of list) {
    let slot = own(table.fixed, type) ? table.fixed[type] : undefined;
    if (slot === undefined || used.has(slot)) slot = next++;
    used.add(slot);
    const css = slot < table.slots ? slot : table.first + ((slot - table.first) % (table.slots - table.first));
    styles.set(type, { slot: css, name: own(table.names, type) ? table.names[type] : type });
  }
  types = list;
  const legend = $('legend');
  legend.replaceChildren();
  for (const type of list) {
    const li = document.createElement('li');
    const m = document.createElement('mark');
    m.className = 'e s' + styles.get(type).slot;
    m.dataset.type = type;
    m.textContent = styles.get(type).name;
    li.append(m);
    legend.append(li);
  }
}
function styleOf(type) {
  if (!styles.has(type)) setTypes([...types, type]); // a type outside the label set still gets its own colour
  return styles.get(type);
}

function token() {
  try { return sessionStorage.getItem(TOKEN_KEY) ?? ''; } catch { return ''; }
}
class Unauthorized extends Error {}
async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  const t = token();
  if (t) headers.authorization = 'Bearer ' + t;
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) {
    throw new Unauthorized(t
      ? 'the server refused the access token (401): check it under “Access token”'
      : 'this server needs an access token (401): enter it under “Access token”');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status);
  return body;
}
function fail(err) {
  $('status').textContent = 'error: ' + err.message;
  if (err instanceof Unauthorized) {
    document.body.dataset.state = 'unauthorized';
    $('auth').open = true;
    $('token').focus();
  } else {
    document.body.dataset.state = 'error';
  }
}

let tagLocal = null;
function base64Bytes(id) {
  const bin = atob($(id).textContent.trim());
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
async function setup() {
  if (config.mode === 'offline') {
    $('status').textContent = 'loading model…';
    const lib = globalThis.cnerBrowser;
    if (!lib) throw new Error('the tagger script did not load: rebuild the page with npm run build:web');
    const tagger = await lib.createTagger({ model: base64Bytes('cner-model'), kernels: base64Bytes('cner-kernels') });
    tagLocal = (text) => tagger.tag(text, { scores: true });
    setTypes(typesOf(tagger.info.labels));
    $('status').textContent = 'model loaded (offline: text stays in this browser)';
    return;
  }
  const input = $('token');
  input.value = token();
  if (input.value) $('auth').open = true; // a token is in use: show it
  input.addEventListener('change', () => {
    const v = input.value.trim();
    try {
      if (v) sessionStorage.setItem(TOKEN_KEY, v);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      $('status').textContent = 'error: this browser does not allow session storage, so the token cannot be kept';
      return;
    }
    labelsFromServer().then(() => { document.body.dataset.state = 'ready'; $('status').textContent = ''; }, fail);
  });
  await labelsFromServer();
}
async function labelsFromServer() {
  const model = await api('/v1/model');
  setTypes(typesOf(model.labels));
}
async function tag(text) {
  if (config.mode === 'offline') {
    await loading; // a click before the model has loaded waits for it
    return tagLocal(text);
  }
  return api('/v1/tag', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
}

// render.ts highlightHtml, with DOM nodes: nested entities nest; one that crosses another's edge is only listed
function render(text, entities) {
  const out = $('out');
  out.replaceChildren();
  const sorted = entities.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || b.e.end - a.e.end || a.i - b.i);
  const parents = [out];
  const ends = [];
  let at = 0;
  let crossing = 0;
  const put = (to) => { if (to > at) parents[parents.length - 1].append(text.slice(at, to)); at = Math.max(at, to); };
  const closeUntil = (pos) => {
    while (ends.length > 0 && ends[ends.length - 1] <= pos) {
      put(ends.pop());
      parents.pop();
    }
  };
  for (const { e } of sorted) {
    closeUntil(e.start);
    if (ends.length > 0 && e.end > ends[ends.length - 1]) { crossing++; continue; }
    put(e.start);
    const s = styleOf(e.type);
    const m = document.createElement('mark');
    m.className = 'e s' + s.slot;
    m.dataset.type = e.type;
    m.dataset.label = e.type;
    m.title = s.name + (e.score !== undefined ? ' · ' + e.score.toFixed(3) : '');
    parents[parents.length - 1].append(m);
    parents.push(m);
    ends.push(e.end);
  }
  closeUntil(Infinity);
  put(text.length);
  const body = $('list').tBodies[0];
  body.replaceChildren();
  for (const e of entities) {
    const tr = document.createElement('tr');
    for (const v of [e.type, e.start, e.end, e.text, e.score !== undefined ? e.score.toFixed(3) : '']) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    body.append(tr);
  }
  return crossing;
}
$('go').addEventListener('click', async () => {
  const text = $('text').value;
  $('status').textContent = 'tagging…';
  try {
    const t0 = performance.now();
    const r = await tag(text);
    const crossing = render(text, r.entities);
    $('status').textContent = r.entities.length + ' entities in ' + (performance.now() - t0).toFixed(1) + ' ms' +
      (crossing > 0 ? ' (' + crossing + ' overlapping another: listed below only)' : '');
    document.body.dataset.state = 'tagged';
  } catch (err) {
    fail(err);
  }
});
const loading = setup();
loading.then(() => { document.body.dataset.state = 'ready'; }, fail);
</script>
</body>
</html>`;
}
