// Runs once before the end-to-end specs (it is their projects' globalSetup, so a run of the unit
// specs alone builds nothing). Builds the code that specs run in child processes into dist/
// (test/build-dist.js). Built once here, not per spec file: specs run in parallel and a build
// empties its folder first.
//
// Meanwhile it makes the data directory of a new PGlite database once (test/pglite-data-dir.js),
// for the specs on the embedded backend and the examples they boot to start theirs from. Which
// services the specs find is scripts/run-tests.js's business (`npm test`).
import buildDist from './build-dist.js';
import pgliteDataDir from './pglite-data-dir.js';

export default async function globalSetup() {
  await Promise.all([buildDist(), pgliteDataDir()]);
}
