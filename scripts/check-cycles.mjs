#!/usr/bin/env node
// Import-cycle check: no circle of relative imports (type-only imports count too) among the
// .ts files of packages/*/src and test/. Fails with one line per circle, its files in import order.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (f === 'node_modules' || f === 'dist') return [];
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const sources = [
  ...readdirSync(path.join(root, 'packages')).flatMap((pkg) => files(path.join(root, 'packages', pkg, 'src'))),
  ...files(path.join(root, 'test')),
];
const known = new Set(sources);

/** Relative imports and re-exports of a file, as absolute .ts paths (import x from, import type, export from, import()). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = new Set();
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts');
    const resolved = known.has(target) ? target : known.has(path.join(target, 'index.ts')) ? path.join(target, 'index.ts') : undefined;
    if (resolved) out.add(resolved);
  }
  return [...out];
}

const graph = new Map(sources.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components: every component of more than one file (or a file that imports itself) is a circle.
let index = 0;
const stack = [];
const info = new Map();
const circles = [];
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v)) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low !== info.get(v).index) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    info.get(w).onStack = false;
    component.push(w);
  } while (w !== v);
  if (component.length > 1 || graph.get(v).includes(v)) circles.push(component);
}
for (const f of sources) if (!info.has(f)) visit(f);

/** One shortest circle through the first file (by name) of a component, in import order. */
function circleOf(component) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const from = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (w === start) {
        const path = [v];
        for (let p = from.get(v); p !== undefined; p = from.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (members.has(w) && !from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

if (circles.length) {
  const rel = (f) => path.relative(root, f);
  console.error(circles.map((c) => `import circle (${c.length} files): ${circleOf(c).map(rel).join(' -> ')}`).join('\n'));
  process.exit(1);
}
console.log(`cycles: none in ${sources.length} files`);
