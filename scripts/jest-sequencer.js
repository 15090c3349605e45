// The order in which Jest starts the spec files (jest.config.js's testSequencer): the longest
// first, so that no long file starts last and runs on alone while the other workers are idle.
// Jest's own sequencer orders by the durations it kept in its cache on this machine, but keys
// them by path alone, so an e2e spec that runs on three backends keeps one duration for all
// three; and a fresh clone (CI) has none, where Jest falls back to file sizes, which say little
// here. So each spec file's run in each project takes the duration recorded for it in
// test/spec-durations.json; one not recorded there (a new spec) keeps Jest's own order, which
// starts the files it knows nothing about first.
//
// `TQ_SPEC_DURATIONS=write npm test` records the durations of that run's files there.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import Sequencer from '@jest/test-sequencer';

const DURATIONS = new URL('../test/spec-durations.json', import.meta.url);

/** `e2e-pglite test/map.e2e-spec.ts`: a spec file's run in one project. */
const keyOf = (config, path) =>
  `${config.displayName?.name ?? ''} ${relative(config.rootDir, path).replaceAll('\\', '/')}`;

function recorded() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw new Error(`${DURATIONS.pathname} is not valid JSON: fix it or delete it.`, {
      cause: error,
    });
  }
}

export default class SlowestFirstSequencer extends Sequencer {
  #recorded = recorded();

  time(test) {
    const seconds = this.#recorded[keyOf(test.context.config, test.path)];
    // Jest's own durations are in milliseconds.
    return seconds === undefined ? super.time(test) : seconds * 1000;
  }

  cacheResults(tests, results) {
    super.cacheResults(tests, results);
    if (process.env.TQ_SPEC_DURATIONS !== 'write') return;
    const rootDir = tests[0]?.context.config.rootDir;
    const durations = { ...this.#recorded };
    for (const result of results.testResults) {
      if (result.skipped || rootDir === undefined) continue;
      const config = { rootDir, displayName: result.displayName };
      const { runtime, start, end } = result.perfStats;
      // Whole seconds: enough to order by, and the file does not change with every run's noise.
      durations[keyOf(config, result.testFilePath)] = Math.round((runtime ?? end - start) / 1000);
    }
    const sorted = Object.fromEntries(
      Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    writeFileSync(DURATIONS, `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
