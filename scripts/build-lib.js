#!/usr/bin/env node
// Builds the package in libs/task-queue: ESM, declarations without `@internal` members, and
// source maps with their sources inlined, into libs/task-queue/dist (emptied first); the CLI
// (the package's `bin`, dist/cli/main.js, which keeps its shebang) is made executable.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('../libs/task-queue/', import.meta.url));
rmSync(new URL('dist', `file://${lib}`), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${lib}tsconfig.lib.json`], { stdio: 'inherit' });
chmodSync(new URL('dist/cli/main.js', `file://${lib}`), 0o755);
