#!/usr/bin/env node
// Layering check: dependencies point one way (config <- listener -> queue <- delivery),
// listener and delivery never import each other, and no package imports a workspace
// package it does not declare. Fails with one line per violation.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const allowed = {
  config: [],
  'redis-server': [],
  queue: [],
  listener: ['config', 'queue'],
  delivery: ['config', 'queue'],
  control: ['config', 'queue'],
  http: ['config', 'queue', 'control'],
  testing: ['redis-server'],
  cli: ['config', 'queue', 'control', 'listener', 'delivery', 'http', 'redis-server'],
  bench: ['config', 'queue', 'listener', 'delivery', 'redis-server', 'testing'],
};
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const problems = [];

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(f) ? [p] : [];
  });
}

for (const pkg of readdirSync(path.join(root, 'packages'))) {
  const dir = path.join(root, 'packages', pkg);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  const ok = allowed[pkg];
  if (!ok) {
    problems.push(`packages/${pkg}: not in the layering table of scripts/check-layers.mjs`);
    continue;
  }
  const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  for (const file of files(path.join(dir, 'src'))) {
    const isTest = file.endsWith('.test.ts');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](@vmta\/[\w-]+|\.\.\/\.\.\/\.\.\/packages\/[\w-]+|\.\.\/\.\.\/[\w-]+\/src)/g)) {
      const target = m[1].replace(/^@vmta\//, '').replace(/^(\.\.\/)+(packages\/)?/, '').replace(/\/src$/, '');
      const rel = path.relative(root, file);
      if (m[1].startsWith('.')) problems.push(`${rel}: reaches into another package by path (${m[1]}); import @vmta/${target}`);
      else if (target === 'testing' && isTest) continue;
      else if (!ok.includes(target)) problems.push(`${rel}: ${pkg} must not import @vmta/${target}`);
      else if (!declared.includes(`@vmta/${target}`)) problems.push(`${rel}: imports @vmta/${target}, not declared in package.json`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers: ok');
