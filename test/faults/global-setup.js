// Runs once before the fault-injection suite: checks that redis-server and redis-cli are
// installed, builds the worker process the crash scenarios spawn (tsc, through `nest build`,
// into dist-test/) unless dist-test/ is newer than everything it is built from (as after
// `npm test`, whose global setup builds the same folder the same way), and starts a fresh
// report file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What test/tsconfig.fixtures.json compiles, and what decides how. */
const SOURCES = [
  'test/fixtures',
  'libs/task-queue/src',
  'test/tsconfig.fixtures.json',
  'tsconfig.json',
  'nest-cli.json',
  'package-lock.json',
];

/**
 * The modification times (ms) of `path` and, for a folder, of everything under it. A folder's
 * own time counts where `withFolders` says so: it changes when a file in it is added, removed or
 * renamed.
 */
function mtimes(path, withFolders) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return [stat.mtimeMs];
  const inside = readdirSync(path).flatMap((name) => mtimes(join(path, name), withFolders));
  return withFolders ? [stat.mtimeMs, ...inside] : inside;
}

/** Whether dist-test/ was built after the last change to any of its sources. */
function builtSinceLastChange() {
  if (!existsSync('dist-test/test/fixtures/faults-worker.main.js')) return false;
  const built = Math.min(...mtimes('dist-test', false));
  const changed = Math.max(
    ...SOURCES.filter(existsSync)
      .map((path) => mtimes(path, true))
      .flat(),
  );
  return built > changed;
}

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
  if (builtSinceLastChange()) {
    console.log('\ndist-test/ is newer than its sources: not built again.');
  } else {
    execFileSync('npx', ['nest', 'build', '--path', 'test/tsconfig.fixtures.json'], {
      stdio: 'inherit',
    });
  }
  mkdirSync('test-output', { recursive: true });
  writeFileSync('test-output/faults-report.jsonl', '');
}
