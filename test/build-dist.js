// Builds what specs run in child processes into dist/: the example app (main, worker, tasks CLI)
// and the test fixtures (dist/test/fixtures), in one `nest build` (tsc, which also rewrites the
// `@app/task-queue` alias, and copies the example's migrations), so decorator metadata is emitted
// as in production and the fixtures and the CLI share one copy of the library. One program
// rather than one per folder: most of a tsc run is reading the declarations of the packages, the
// same for both. test/tsconfig.built.json skips type checking (`noCheck`, which emits the same
// JavaScript; `npm run check` type-checks) and declarations, which no spec reads.
//
// Skipped when dist/ was built this way after the last change to anything it is built from, as
// when a spec is run again after an edit to specs only.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written last by a build, so that an interrupted one or `npm start`'s (which empties dist/) does not count. */
const STAMP = 'dist/test/built-for-specs';

/** What test/tsconfig.built.json compiles, and what decides how. */
const SOURCES = [
  'src',
  'libs/task-queue/src',
  'test/fixtures',
  // What the fixtures import from the specs' support (pglite.ts, pg-transaction.ts), and the rest.
  'test/support',
  'test/tsconfig.built.json',
  'tsconfig.json',
  'nest-cli.json',
  'package-lock.json',
];

/**
 * The modification times (ms) of `path` and, for a folder, of itself (it changes when a file in it
 * is added, removed or renamed) and of everything under it but spec files, which are not built.
 */
function mtimes(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return [stat.mtimeMs];
  const inside = readdirSync(path)
    .filter((name) => !name.endsWith('.spec.ts'))
    .flatMap((name) => mtimes(join(path, name)));
  return [stat.mtimeMs, ...inside];
}

/** Whether dist/ was built for the specs after the last change to any of its sources. */
function builtSinceLastChange() {
  if (!existsSync(STAMP)) return false;
  const changed = Math.max(...SOURCES.filter(existsSync).flatMap((path) => mtimes(path)));
  return statSync(STAMP).mtimeMs > changed;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? code}`)),
    );
  });
}

export default async function buildDist() {
  if (builtSinceLastChange()) {
    console.log('\ndist/ is newer than its sources: not built again.');
    return;
  }
  await run('npx', ['nest', 'build', '--path', 'test/tsconfig.built.json']);
  writeFileSync(STAMP, '');
}
