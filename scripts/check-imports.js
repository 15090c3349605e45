#!/usr/bin/env node
// Lists the value-import cycles between the top-level folders of the library's source: for each
// non-spec .ts file, the imports that load code at run time (not `import type`, not an import
// whose every name is `type X`, not `export type … from`) into another top-level folder make an
// edge from its folder to that one. A file at the root is a node of its own (`task-queue.module.ts`):
// the module and `index.ts` sit above every folder, the constants below them. Prints each
// cycle (as the folders in it, and one import per edge) and exits 1 if there is any.
// Also the one layer that knows BullMQ: outside `backends/` and `nest-bullmq/` (BullMQ interop)
// no non-spec file imports `bullmq`, by value or by type; each one that does is named.
// Usage: node scripts/check-imports.js [source directory]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? 'libs/task-queue/src');

/** Every non-spec .ts file under `dir`. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const folderOf = (file) => {
  const parts = relative(root, file).split(sep);
  return parts[0];
};

// `import …from '…'`, `export …from '…'` and bare `import '…'`, across lines.
const STATEMENT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** The relative modules `source` loads at run time. */
function valueImports(source) {
  const found = [];
  for (const match of source.matchAll(STATEMENT)) {
    const [, , typeOnly, clause, from, bare] = match;
    if (bare) {
      found.push(bare);
      continue;
    }
    if (typeOnly) continue;
    const braces = /\{([^}]*)\}/.exec(clause);
    const outside = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/,/g, ' ')
      .trim();
    if (braces && !outside) {
      const names = braces[1]
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      if (names.length && names.every((name) => name.startsWith('type '))) continue;
    }
    found.push(from);
  }
  return found.filter((path) => path.startsWith('.'));
}

/** The folders whose files may import `bullmq`. */
const BULLMQ_FOLDERS = new Set(['backends', 'nest-bullmq']);
const IMPORTS_BULLMQ = /(?:from|import)\s*['"]bullmq['"]/;
const bullmqOutside = [];

/** folder → folder → one example import (`file → module`). */
const edges = new Map();
for (const file of sourceFiles(root)) {
  const from = folderOf(file);
  const source = readFileSync(file, 'utf8');
  if (!BULLMQ_FOLDERS.has(from) && IMPORTS_BULLMQ.test(source)) {
    bullmqOutside.push(relative(root, file));
  }
  for (const path of valueImports(source)) {
    const target = resolve(dirname(file), path.replace(/\.js$/, '.ts'));
    const to = folderOf(target);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const out = edges.get(from);
    if (!out.has(to)) out.set(to, `${relative(root, file)} → ${path}`);
  }
}

// Strongly connected components (Tarjan): each one with more than one folder is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let counter = 0;
function visit(folder) {
  index.set(folder, counter);
  low.set(folder, counter++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(folder, Math.min(low.get(folder), index.get(next)));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);

for (const file of bullmqOutside) {
  console.log(
    `${file} imports bullmq: only backends/ and nest-bullmq/ may; use the library's own port or type instead.`,
  );
}
if (components.length === 0) {
  console.log(`No value-import cycles between the folders of ${relative(process.cwd(), root)}.`);
  if (bullmqOutside.length === 0)
    console.log('bullmq is imported only under backends/ and nest-bullmq/.');
  process.exit(bullmqOutside.length === 0 ? 0 : 1);
}
for (const component of components) {
  const members = new Set(component);
  console.log(`Cycle between ${component.join(', ')}:`);
  for (const from of component) {
    for (const [to, example] of edges.get(from) ?? []) {
      if (members.has(to)) console.log(`  ${from} → ${to}  (${example})`);
    }
  }
}
process.exit(1);
