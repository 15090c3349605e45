// Runs once before the end-to-end specs (it is their projects' globalSetup, so a run of the unit
// specs alone builds nothing). Builds the code that specs run in child processes with tsc
// (through `nest build`, which also rewrites the `@app/task-queue` alias), so decorator metadata
// is emitted as in production: the test fixtures into dist-test/, and the example app (main,
// worker, tasks CLI) into dist/. Built once here, not per spec file: specs run in parallel and a
// build empties its folder first. The two builds write different folders, so they run at once:
// the fixtures' build has a Nest CLI configuration of its own, without the example's assets,
// which would otherwise be copied into dist/ while the other build empties it.
//
// Meanwhile it makes the data directory of a new PGlite database once, for the specs on the
// embedded backend to start theirs from (test/support/backend.ts): what `initdb` would make
// for each of them, made once. Which services the specs find is scripts/run-tests.js's
// business (`npm test`).
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';

/** Where the data directory is written, read by test/support/backend.ts through the variable. */
const PGLITE_DATA_DIR = new URL('../test-output/pglite-data-dir.tar', import.meta.url);
export const PGLITE_DATA_DIR_VARIABLE = 'TQ_TEST_PGLITE_DATA_DIR';

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

async function pgliteDataDir() {
  const db = new PGlite();
  try {
    // dumpDataDir on a database still starting never settles.
    await db.waitReady;
    const dump = await db.dumpDataDir('none');
    await mkdir(new URL('.', PGLITE_DATA_DIR), { recursive: true });
    await writeFile(PGLITE_DATA_DIR, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
  // Set before Jest starts its workers, which inherit it.
  process.env[PGLITE_DATA_DIR_VARIABLE] = PGLITE_DATA_DIR.pathname;
}

export default async function globalSetup() {
  await Promise.all([
    run('npx', [
      'nest',
      'build',
      '--config',
      'test/nest-cli.fixtures.json',
      '--path',
      'test/tsconfig.fixtures.json',
    ]),
    run('npx', ['nest', 'build']),
    pgliteDataDir(),
  ]);
}
