/**
 * The page where a person pastes a record and sees its entities highlighted by type.
 * mode 'api':     served by the Worker / Node server at GET /, tags through POST /v1/tag.
 * mode 'offline': the static build (npm run build:web), tags in the browser with the WASM kernels and a
 *                 local model; no request ever carries the text.
 * The text is only ever put into the page with textContent (never innerHTML).
 */
export interface PageOptions {
  mode: 'api' | 'offline';
  /** offline mode: URLs of the browser bundle, kernels and model, relative to the page */
  bundleUrl?: string;
  kernelsUrl?: string;
  modelUrl?: string;
}

const SAMPLE = '患者3月前无明显诱因出现上腹部疼痛，伴恶心、呕吐，行胃镜检查示慢性浅表性胃炎，予奥美拉唑治疗后好转。';

export function renderPage(opts: PageOptions): string {
  const config = JSON.stringify({
    mode: opts.mode,
    bundleUrl: opts.bundleUrl ?? './cner-browser.js',
    kernelsUrl: opts.kernelsUrl ?? './kernels.wasm',
    modelUrl: opts.modelUrl ?? './model.cner',
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cner — clinical entity recognition</title>
<style>
  body { font: 16px/1.6 system-ui, "Noto Sans CJK SC", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  textarea { width: 100%; min-height: 9rem; font: inherit; padding: .5rem; box-sizing: border-box; }
  button { font: inherit; padding: .3rem 1.2rem; margin: .5rem 0; }
  #out { white-space: pre-wrap; border: 1px solid #ccc; padding: .75rem; min-height: 3rem; }
  mark { border-radius: 3px; padding: 0 1px; }
  mark[data-type=BODY] { background: #cfe8ff; } mark[data-type=SIGNS] { background: #ffd6d6; }
  mark[data-type=CHECK] { background: #d9f7d0; } mark[data-type=DISEASE] { background: #ffe7b3; }
  mark[data-type=TREATMENT] { background: #e6d6ff; } mark { background: #eee; }
  .legend mark { margin-right: .5rem; } #status { color: #666; font-size: .9em; }
  table { border-collapse: collapse; margin-top: 1rem; font-size: .9em; } td, th { border-bottom: 1px solid #eee; padding: .2rem .6rem; text-align: left; }
</style>
</head>
<body>
<h1>Clinical entity recognition</h1>
<p class="legend"><mark data-type="BODY">BODY 身体部位</mark><mark data-type="SIGNS">SIGNS 症状和体征</mark><mark data-type="CHECK">CHECK 检查和检验</mark><mark data-type="DISEASE">DISEASE 疾病和诊断</mark><mark data-type="TREATMENT">TREATMENT 治疗</mark></p>
<label for="text">Record</label>
<textarea id="text">${SAMPLE}</textarea>
<div><button id="go">Tag</button> <span id="status"></span></div>
<div id="out" aria-live="polite"></div>
<table id="list"><thead><tr><th>type</th><th>start</th><th>end</th><th>text</th><th>score</th></tr></thead><tbody></tbody></table>
<script type="module">
const config = ${config};
const $ = (id) => document.getElementById(id);
let tagLocal = null;
async function setup() {
  if (config.mode !== 'offline') return;
  $('status').textContent = 'loading model…';
  const lib = await import(config.bundleUrl);
  const [kernels, model] = await Promise.all([
    fetch(config.kernelsUrl).then((r) => r.arrayBuffer()),
    fetch(config.modelUrl).then((r) => r.arrayBuffer()),
  ]);
  const tagger = await lib.createTagger({ model: new Uint8Array(model), kernels: new Uint8Array(kernels) });
  tagLocal = (text) => tagger.tag(text, { scores: true });
  $('status').textContent = 'model loaded (offline: text stays in this browser)';
}
async function tag(text) {
  if (config.mode === 'offline') {
    await loading; // a click before the model has loaded waits for it
    return tagLocal(text);
  }
  const res = await fetch('/v1/tag', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status);
  return body;
}
function render(text, entities) {
  const out = $('out');
  out.replaceChildren();
  let at = 0;
  for (const e of [...entities].sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue;
    out.append(document.createTextNode(text.slice(at, e.start)));
    const m = document.createElement('mark');
    m.dataset.type = e.type;
    m.title = e.type + (e.score !== undefined ? ' ' + e.score.toFixed(3) : '');
    m.textContent = text.slice(e.start, e.end);
    out.append(m);
    at = e.end;
  }
  out.append(document.createTextNode(text.slice(at)));
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
}
$('go').addEventListener('click', async () => {
  const text = $('text').value;
  $('status').textContent = 'tagging…';
  try {
    const t0 = performance.now();
    const r = await tag(text);
    render(text, r.entities);
    $('status').textContent = r.entities.length + ' entities in ' + (performance.now() - t0).toFixed(1) + ' ms';
    document.body.dataset.state = 'tagged';
  } catch (err) {
    $('status').textContent = 'error: ' + err.message;
    document.body.dataset.state = 'error';
  }
});
const loading = setup();
loading.then(() => { document.body.dataset.state = 'ready'; }, (err) => { $('status').textContent = 'error: ' + err.message; document.body.dataset.state = 'error'; });
</script>
</body>
</html>`;
}
