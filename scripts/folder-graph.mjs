#!/usr/bin/env node
// Prints the import graph between src/'s top-level folders and every folder cycle in it
// (strongly connected components of more than one folder). Exit 1 when a cycle exists,
// or when http/ imports a feature folder — DESIGN.md "Dependencies point down".
// Usage: node scripts/folder-graph.mjs [--edges]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(new URL('..', import.meta.url).pathname, 'src');
const PLUMBING = new Set(['http', 'db', 'config', 'util']);

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level folder of a file under src/ (files at the root count as '(root)'). */
function folderOf(file) {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0] : '(root)';
}

function importedFiles(file) {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

const edges = new Map();
const why = new Map();
for (const file of sourceFiles(SRC)) {
  const from = folderOf(file);
  for (const target of importedFiles(file)) {
    const to = folderOf(target);
    if (to === from || from === '(root)' || to === '(root)' && from === '(root)') continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    const key = `${from} -> ${to}`;
    if (!why.has(key)) why.set(key, []);
    why.get(key).push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
  }
}

// Tarjan's strongly connected components.
let index = 0;
const stack = [];
const info = new Map();
const components = [];
function connect(node) {
  info.set(node, { index, low: index, onStack: true });
  index += 1;
  stack.push(node);
  for (const next of edges.get(node) ?? []) {
    if (!info.has(next)) {
      connect(next);
      info.get(node).low = Math.min(info.get(node).low, info.get(next).low);
    } else if (info.get(next).onStack) {
      info.get(node).low = Math.min(info.get(node).low, info.get(next).index);
    }
  }
  if (info.get(node).low === info.get(node).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      info.get(member).onStack = false;
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const node of edges.keys()) if (!info.has(node)) connect(node);

if (process.argv.includes('--edges')) {
  for (const [key, files] of [...why].sort()) console.log(`${key}\n    ${files.join('\n    ')}`);
}
const httpUp = [...(edges.get('http') ?? [])].filter((to) => !PLUMBING.has(to) && to !== 'metrics');
for (const component of components) {
  console.log(`cycle: ${component.join(', ')}`);
  for (const from of component) {
    for (const to of edges.get(from) ?? []) {
      if (component.includes(to)) console.log(`  ${from} -> ${to}: ${why.get(`${from} -> ${to}`).slice(0, 3).join('; ')}`);
    }
  }
}
if (httpUp.length > 0) console.log(`http/ imports features: ${httpUp.join(', ')}`);
if (components.length === 0 && httpUp.length === 0) console.log('no folder cycle; http/ imports no feature');
process.exit(components.length > 0 || httpUp.length > 0 ? 1 : 0);
