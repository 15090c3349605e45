// Runs once before the fault-injection suite: checks that redis-server and redis-cli are
// installed, builds the worker process the crash scenarios spawn into dist/ (test/build-dist.js,
// as `npm test` does, which leaves nothing to build then), and starts a fresh report file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import buildDist from '../build-dist.js';

export default async function globalSetup() {
  for (const command of ['redis-server', 'redis-cli']) {
    try {
      execFileSync(command, ['--version'], { stdio: 'ignore' });
    } catch (error) {
      throw new Error(
        `The fault-injection suite starts Redis servers of its own and needs ${command} ` +
          '(`sudo apt-get install redis-server` on Debian/Ubuntu).',
        { cause: error },
      );
    }
  }
  await buildDist();
  mkdirSync('test-output', { recursive: true });
  writeFileSync('test-output/faults-report.jsonl', '');
}
