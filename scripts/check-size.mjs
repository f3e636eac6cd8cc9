#!/usr/bin/env node
// Size rules of the code (issue 36; docs/ARCHITECTURE.md): no source file over 450 lines, no function over
// 120 lines. Benches, generated code and test data are exempt. Run by `npm run lint`; exits 1 on a breach.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const MAX_FILE = 450;
const MAX_FUNCTION = 120;
const root = new URL('..', import.meta.url).pathname;
const DIRS = ['src-main', 'src-shared', 'src-renderer/src', 'src-preload', 'scripts', 'bin', 'e2e'];

function* files(dir) {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!['node_modules', 'artifacts'].includes(e.name)) yield* files(p);
    } else if (/\.(ts|mjs|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** The script of a Svelte component (its functions are checked like any TypeScript's), with its line offset. */
function scriptOf(text) {
  const m = /<script[^>]*>([\s\S]*?)<\/script>/.exec(text);
  return m ? { code: m[1], offset: text.slice(0, m.index).split('\n').length - 1 } : { code: '', offset: 0 };
}

/** The name a function node goes by in a report. */
function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  return '(anonymous)';
}

const problems = [];
for (const file of DIRS.flatMap((d) => [...files(d)])) {
  const text = readFileSync(join(root, file), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE) problems.push(`${file}: ${lines} lines (at most ${MAX_FILE})`);
  const { code, offset } = file.endsWith('.svelte') ? scriptOf(text) : { code: text, offset: 0 };
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, file.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      // A describe() or it() block of a test is not a function anyone reads as one.
      const call = node.parent && ts.isCallExpression(node.parent) ? node.parent.expression.getText(sf) : '';
      if (end - start + 1 > MAX_FUNCTION && !/^(describe|it|test)(\.\w+)?$/.test(call)) {
        problems.push(`${file}:${start + 1 + offset}: function ${nameOf(node, sf)} has ${end - start + 1} lines (at most ${MAX_FUNCTION})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
for (const p of problems) process.stderr.write(`${p}\n`);
if (problems.length) {
  process.stderr.write(`check-size: ${problems.length} breach(es) of the size rules\n`);
  process.exit(1);
}
process.stdout.write(`check-size: every file within ${MAX_FILE} lines, every function within ${MAX_FUNCTION}\n`);
