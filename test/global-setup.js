// Runs once before the tests: builds the code that specs run in child processes with tsc
// (through `nest build`, which also rewrites the `@app/task-queue` alias), so decorator
// metadata is emitted as in production: the test fixtures into dist-test/, and the example app
// (main, worker, tasks CLI) into dist/. Built once here, not per spec file: specs run in
// parallel and a build empties its folder first. Which services the specs find is
// scripts/run-tests.js's business (`npm test`).
import { execFileSync } from 'node:child_process';

export default async function globalSetup(globalConfig) {
  const selected = globalConfig.selectProjects;
  if (selected && selected.every((name) => name === 'unit')) return;
  execFileSync('npx', ['nest', 'build', '--path', 'test/tsconfig.fixtures.json'], {
    stdio: 'inherit',
  });
  execFileSync('npx', ['nest', 'build'], { stdio: 'inherit' });
}
