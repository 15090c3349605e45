// Runs once before the end-to-end specs (it is their projects' globalSetup, so a run of the unit
// specs alone builds nothing). Builds the code that specs run in child processes with tsc
// (through `nest build`, which also rewrites the `@app/task-queue` alias), so decorator metadata
// is emitted as in production: the test fixtures into dist-test/, and the example app (main,
// worker, tasks CLI) into dist/. Built once here, not per spec file: specs run in parallel and a
// build empties its folder first. The two builds write different folders, so they run at once:
// the fixtures' build has a Nest CLI configuration of its own, without the example's assets,
// which would otherwise be copied into dist/ while the other build empties it.
//
// Meanwhile it makes the data directory of a new PGlite database once (test/pglite-data-dir.js),
// for the specs on the embedded backend and the examples they boot to start theirs from. Which
// services the specs find is scripts/run-tests.js's business (`npm test`).
import { spawn } from 'node:child_process';
import pgliteDataDir from './pglite-data-dir.js';

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
