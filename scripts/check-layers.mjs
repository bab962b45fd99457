#!/usr/bin/env node
// Layering check: dependencies point one way (config <- listener -> queue <- delivery),
// listener and delivery never import each other, and no package imports a workspace
// package it does not declare. Test code (*.test.ts, src/testing/, the root test/ folder)
// is the only code that may import test helpers (a package's testing/ folder, its
// "./testing" export); the root test/ folder imports packages by their entry points only,
// each declared in the root package.json. The SMTP client (delivery/src/smtp-client/)
// knows nothing of the worker or the queue. Import cycles: check-cycles.mjs.
// Fails with one line per violation.
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

/** Workspace imports of a file: { spec, pkg, subpath } for `@vmta/pkg/subpath`, relative specifiers as written. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]((?:@vmta\/|\.{1,2}\/)[^'"]*)['"]/g)].map((m) => {
    const spec = m[1];
    const ws = /^@vmta\/([\w-]+)(\/.*)?$/.exec(spec);
    return ws ? { spec, pkg: ws[1], subpath: ws[2] ?? '' } : { spec, resolved: path.resolve(path.dirname(file), spec) };
  });
}

const inside = (dir, p) => p === dir || p.startsWith(dir + path.sep);

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
  const testingDir = path.join(dir, 'src', 'testing');
  const clientDir = path.join(dir, 'src', 'smtp-client');
  for (const file of files(path.join(dir, 'src'))) {
    const isTest = file.endsWith('.test.ts');
    const isTestCode = isTest || inside(testingDir, file);
    const rel = path.relative(root, file);
    for (const imp of importsOf(file)) {
      if (imp.resolved !== undefined) {
        if (!inside(dir, imp.resolved)) problems.push(`${rel}: reaches into another package by path (${imp.spec}); import @vmta/${path.relative(path.join(root, 'packages'), imp.resolved).split(path.sep)[0]}`);
        else if (!isTestCode && inside(testingDir, imp.resolved)) problems.push(`${rel}: production code imports a test helper (${imp.spec})`);
        else if (pkg === 'delivery' && !isTest && inside(clientDir, file) && inside(path.join(dir, 'src', 'worker'), imp.resolved)) problems.push(`${rel}: the SMTP client must not import the worker (${imp.spec})`);
        continue;
      }
      const target = imp.pkg;
      if (imp.subpath === '/testing' && !isTestCode) problems.push(`${rel}: production code imports a test helper (${imp.spec})`);
      else if (pkg === 'delivery' && inside(clientDir, file) && target === 'queue') problems.push(`${rel}: the SMTP client must not import @vmta/queue`);
      else if (target === 'testing' && isTestCode) continue;
      else if (target === pkg) problems.push(`${rel}: imports its own package by name (${imp.spec}); use a relative path`);
      else if (!ok.includes(target)) problems.push(`${rel}: ${pkg} must not import @vmta/${target}`);
      else if (!declared.includes(`@vmta/${target}`)) problems.push(`${rel}: imports @vmta/${target}, not declared in package.json`);
    }
  }
}

// The root test/ folder: end-to-end tests use the packages as users do, through their entry points.
const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const rootDeclared = Object.keys({ ...rootManifest.dependencies, ...rootManifest.devDependencies });
for (const file of files(path.join(root, 'test'))) {
  const rel = path.relative(root, file);
  for (const imp of importsOf(file)) {
    if (imp.resolved !== undefined) {
      if (inside(path.join(root, 'packages'), imp.resolved)) problems.push(`${rel}: reaches into a package by path (${imp.spec}); import @vmta/${path.relative(path.join(root, 'packages'), imp.resolved).split(path.sep)[0]}`);
    } else if (!['', '/testing'].includes(imp.subpath)) problems.push(`${rel}: imports ${imp.spec}; use the package's entry point (or its ./testing export)`);
    else if (!rootDeclared.includes(`@vmta/${imp.pkg}`)) problems.push(`${rel}: imports @vmta/${imp.pkg}, not declared in the root package.json`);
  }
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers: ok');
