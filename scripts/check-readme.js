#!/usr/bin/env node
// Usage: node scripts/check-readme.js [README.md]
// Type-checks every ```ts block of a Markdown file against the library and the example app,
// with the repo's compiler options, and reports errors at their line in the Markdown file.
//
// Each block is a module of its own, with its own imports. A block whose first line is a path
// comment (`// src/reports/reports.tasks.ts`) is checked as that file: its relative imports reach
// the repo's files there (tsconfig rootDirs), or other blocks' files. Other blocks are checked
// as standalone files at the repo root.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FENCE_OPEN = /^```(ts|typescript)\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const PATH_COMMENT = /^\/\/ ((?:src|test|libs)\/[\w./-]+\.ts)\s*$/;
const TSC_ERROR = /^(.+?)\((\d+),(\d+)\): (.*)$/;

/** The ```ts blocks of `markdown`, with the Markdown line of each block's first code line. */
export function extractBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  let open;
  lines.forEach((line, index) => {
    if (!open && FENCE_OPEN.test(line)) {
      open = { line: index + 2, code: [] };
    } else if (open && FENCE_CLOSE.test(line)) {
      blocks.push({ line: open.line, code: open.code.join('\n') + '\n' });
      open = undefined;
    } else if (open) {
      open.code.push(line);
    }
  });
  if (open) throw new Error(`The ts block opened at line ${open.line - 1} is never closed`);
  return blocks.map((block, index) => {
    const path = PATH_COMMENT.exec(block.code.split('\n')[0])?.[1];
    return { ...block, number: index + 1, path: path ?? `readme-block-${index + 1}.ts` };
  });
}

function main() {
  const readme = resolve(process.argv[2] ?? join(REPO, 'README.md'));
  const shown = relative(process.cwd(), readme) || readme;
  const blocks = extractBlocks(readFileSync(readme, 'utf8'));
  if (blocks.length === 0) {
    console.log(`${shown}: no ts blocks`);
    return 0;
  }
  const seen = new Map();
  for (const block of blocks) {
    const other = seen.get(block.path);
    if (other) {
      console.error(
        `${shown}:${block.line}: block ${block.number} names ${block.path}, as block ${other.number} does`,
      );
      return 1;
    }
    seen.set(block.path, block);
  }

  // Inside the repo, so that the blocks' imports find its node_modules; removed afterwards.
  const work = join(REPO, '.readme-check', `${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    for (const block of blocks) {
      mkdirSync(dirname(join(work, block.path)), { recursive: true });
      writeFileSync(join(work, block.path), block.code);
    }
    const tsconfig = {
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDirs: [work, REPO], types: ['node', 'jest'] },
      files: blocks.map((block) => join(work, block.path)),
      include: [],
    };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(
      process.execPath,
      [tsc, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'],
      {
        cwd: REPO,
        encoding: 'utf8',
      },
    );
    const output = `${run.stdout}${run.stderr}`.trim();
    if (run.status === 0) {
      console.log(`${shown}: all ${blocks.length} ts blocks type-check`);
      return 0;
    }
    const byFile = new Map(blocks.map((block) => [resolve(work, block.path), block]));
    for (const line of output.split('\n')) {
      const match = TSC_ERROR.exec(line);
      const block = match && byFile.get(resolve(REPO, match[1]));
      if (!block) {
        console.error(line);
        continue;
      }
      const [, , row, column, message] = match;
      const at = `${shown}:${block.line + Number(row) - 1}:${column}`;
      console.error(`${at} (block ${block.number}, ${block.path}): ${message}`);
    }
    console.error(`${shown}: ts blocks do not type-check`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    try {
      rmdirSync(join(REPO, '.readme-check')); // Only when no other run is using it.
    } catch {
      // Not empty, or already gone.
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
