#!/usr/bin/env node
/**
 * Unused exports: every export of a file under src/ that nothing imports — not another file of src/, not a test,
 * benchmark or script — and that the package's entry points (package.json "exports") do not make public.
 * Uses the TypeScript compiler on tsconfig.json, so it follows re-exports (`export *`, `export { x } from`),
 * type-only imports and `import('…')` types.
 *
 *   npm run lint:exports              lists them (exit 0)
 *   npm run lint:exports -- --fail    exit 1 when there is one (for CI)
 *   npm run lint:exports -- --tests   also lists the exports of src/ that only tests, benchmarks or scripts use
 *
 * A file loaded by path at run time (a worker thread's entry, `import(variable)`) has no import to follow; its
 * exports are listed unless something else imports them.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
for (const a of args) {
  if (!['--fail', '--tests'].includes(a)) {
    process.stderr.write(`unused-exports: unknown option ${a} (known: --fail, --tests)\n`);
    process.exit(2);
  }
}

const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
const checker = program.getTypeChecker();

const rel = (file) => path.relative(root, file).split(path.sep).join('/');
const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile || rel(f.fileName).startsWith('src/'));
const isLibrary = (f) => rel(f.fileName).startsWith('src/');

/** The declared symbol behind an alias (import, re-export), or the symbol itself. */
function original(symbol) {
  let s = symbol;
  while (s && s.flags & ts.SymbolFlags.Alias) {
    const next = checker.getAliasedSymbol(s);
    if (!next || next === s) break;
    s = next;
  }
  return s;
}

/** symbol → where it is used: 'src' (the library), 'public' (an entry point) or 'other' (tests, benchmarks, scripts) */
const usedFrom = new Map();
const RANK = { other: 1, public: 2, src: 3 };
function markUsed(symbol, from) {
  const s = original(symbol);
  if (!s) return;
  const had = usedFrom.get(s);
  if (had === undefined || RANK[from] > RANK[had]) usedFrom.set(s, from);
}
function markModule(moduleSymbol, from) {
  if (!moduleSymbol) return;
  for (const e of checker.getExportsOfModule(moduleSymbol)) markUsed(e, from);
}
function moduleOf(specifier) {
  const s = checker.getSymbolAtLocation(specifier);
  return s ? original(s) : undefined;
}

// the public API: everything the package's entry points export
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const entryTargets = Object.values(pkg.exports ?? {})
  .map((e) => (typeof e === 'string' ? e : e.default))
  .filter((p) => typeof p === 'string' && p.startsWith('./dist/src/'))
  .map((p) => p.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
for (const f of ours) {
  if (!entryTargets.includes(rel(f.fileName))) continue;
  markModule(checker.getSymbolAtLocation(f), 'public');
}

for (const f of ours) {
  const from = isLibrary(f) ? 'src' : 'other';
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && node.importClause) {
      const c = node.importClause;
      if (c.name) markUsed(checker.getSymbolAtLocation(c.name), from);
      const b = c.namedBindings;
      if (b && ts.isNamespaceImport(b)) markModule(moduleOf(node.moduleSpecifier), from);
      if (b && ts.isNamedImports(b)) for (const el of b.elements) markUsed(checker.getSymbolAtLocation(el.name), from);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      // `export { x } from './y.js'` uses x; `export * from` only passes names on (an import of them counts)
      if (node.exportClause && ts.isNamedExports(node.exportClause)) {
        for (const el of node.exportClause.elements) {
          const s = checker.getExportSpecifierLocalTargetSymbol(el);
          if (s) markUsed(s, from);
        }
      }
    } else if (ts.isImportTypeNode(node) && node.qualifier) {
      // import('./x.js').Name
      const s = checker.getSymbolAtLocation(ts.isQualifiedName(node.qualifier) ? node.qualifier.right : node.qualifier);
      if (s) markUsed(s, from);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // await import('./x.js'): whatever the code then takes from it
      const spec = node.arguments[0];
      if (spec && ts.isStringLiteralLike(spec)) markModule(moduleOf(spec), from);
    }
    ts.forEachChild(node, visit);
  };
  visit(f);
}

const unused = { values: [], types: [] };
const testsOnly = { values: [], types: [] };
const TYPE_ONLY = ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias;
for (const f of ours) {
  if (!isLibrary(f) || f.isDeclarationFile) continue;
  const moduleSymbol = checker.getSymbolAtLocation(f);
  if (!moduleSymbol) continue;
  for (const e of checker.getExportsOfModule(moduleSymbol)) {
    if (e.flags & ts.SymbolFlags.Alias) continue; // a re-export: judged where it is declared
    const decl = e.declarations?.[0];
    if (!decl || decl.getSourceFile() !== f) continue;
    const line = f.getLineAndCharacterOfPosition(decl.getStart()).line + 1;
    const row = { file: rel(f.fileName), line, name: e.name };
    const kind = e.flags & TYPE_ONLY && !(e.flags & ts.SymbolFlags.Value) ? 'types' : 'values';
    const use = usedFrom.get(e);
    if (use === undefined) unused[kind].push(row);
    else if (use === 'other') testsOnly[kind].push(row);
  }
}

// `| head` closes the pipe early: stop quietly
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const byPlace = (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
function print(title, rows) {
  rows.sort(byPlace);
  process.stdout.write(`${rows.length} ${title}${rows.length ? ':' : ''}\n`);
  for (const r of rows) process.stdout.write(`  ${r.file}:${r.line}  ${r.name}\n`);
}
print('exported functions, classes and constants of src/ that nothing imports', unused.values);
print('exported types of src/ that nothing imports (often the options of an exported function)', unused.types);
if (args.includes('--tests')) {
  print(
    'exported functions, classes and constants of src/ that only tests, benchmarks or scripts import',
    testsOnly.values,
  );
  print('exported types of src/ that only tests, benchmarks or scripts import', testsOnly.types);
}
if (args.includes('--fail') && unused.values.length + unused.types.length > 0) process.exitCode = 1;
