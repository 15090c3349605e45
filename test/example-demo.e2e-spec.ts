// The one-command demo as `npm start` runs it: the built example under run-with-backend.js, with
// no Redis at REDIS_URL, so the launcher starts a private one. The app must answer HTTP and run
// a job, and no redis-server it started may outlive it, whether it is stopped or killed. With no
// redis-server to start either, it runs on the embedded PostgreSQL (PGlite).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CHILD_NODE_FLAGS,
  exitOf,
  freePort,
  isAlive,
  serverPids,
  waitFor,
} from './support/processes.js';
import { enqueueAndFinish } from './support/http.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

// How long the example gets to listen, and each test in all: its boot (Nest, and PGlite's on the
// embedded backend) is not what these tests check, and with spec files running side by side it
// shares the cores with them.
const APP_BOOT_MS = 90_000;
const TEST_MS = 150_000;

const children: ChildProcess[] = [];
const ports: number[] = [];

/** Starts `node scripts/run-with-backend.js node dist/src/main.js` as `npm start` does. */
function launch(env: Record<string, string>) {
  const launcher = spawn(
    process.execPath,
    ['scripts/run-with-backend.js', process.execPath, ...CHILD_NODE_FLAGS, 'dist/src/main.js'],
    {
      cwd: REPO,
      env: { ...withoutQueueUrl(process.env), PORT: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(launcher);
  let output = '';
  launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { launcher, output: () => output };
}

function withoutQueueUrl(env: NodeJS.ProcessEnv): Record<string, string> {
  const rest = { ...env } as Record<string, string>;
  delete rest.TASK_QUEUE_URL;
  return rest;
}

async function startDemo() {
  const deadUrl = `redis://127.0.0.1:${await freePort()}`;
  const { launcher, output: read } = launch({ REDIS_URL: deadUrl });
  let output = '';
  const refresh = () => (output = read());

  const [, redisUrl] = await waitFor(
    () => / started a private redis-server at (redis:\/\/\S+)/.exec(refresh()),
    15_000,
    () => `the launcher to start redis-server; output so far:\n${output}`,
  );
  const redisPort = Number(new URL(redisUrl).port);
  ports.push(redisPort);
  const [, baseUrl] = await waitFor(
    () => /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(refresh()),
    APP_BOOT_MS,
    () => `the app to listen; output so far:\n${output}`,
  );
  expect(output).toContain(`Task queue: Redis at ${redisUrl}`);
  expect(output).toContain(`Listening on ${baseUrl} (queues on Redis at ${redisUrl})`);
  const appPid = appPidOf(launcher.pid!);
  return { launcher, deadUrl, redisUrl, redisPort, baseUrl, appPid };
}

/** The app: the launcher's child running dist/src/main.js. */
function appPidOf(launcherPid: number): number {
  const { stdout } = spawnSync('pgrep', ['-P', String(launcherPid), '-f', 'dist/src/main.js'], {
    encoding: 'utf8',
  });
  const pids = stdout.split('\n').filter(Boolean).map(Number);
  expect(pids).toHaveLength(1);
  return pids[0];
}

/** Enqueues process_data over HTTP and waits for the job to read back complete. */
async function runJob(baseUrl: string, userId: number) {
  const job = await enqueueAndFinish(baseUrl, '/process', { userId });
  expect(job.status).toBe('complete');
  return job;
}

// The demo runs what `nest build` emits, as `npm start` does: global-setup.js builds it.
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child);
  }
  // Once its owner is dead, the launcher's watchdog removes any redis-server a failed test left.
  for (const port of ports.splice(0)) {
    await waitFor(() => serverPids(port).length === 0, 5000, `no redis-server on ${port}`);
  }
});

describe('npm start (run-with-backend.js + the built example)', () => {
  it(
    'runs on the embedded PostgreSQL when no Redis answers and none can be started',
    async () => {
      const deadUrl = `redis://127.0.0.1:${await freePort()}`;
      // A PATH without redis-server: the machine of a newcomer with only Node.js.
      const { launcher, output } = launch({ REDIS_URL: deadUrl, PATH: '/nonexistent' });
      const [, baseUrl] = await waitFor(
        () => /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output()),
        APP_BOOT_MS,
        () => `the app to listen; output so far:\n${output()}`,
      );
      const lines = output().split('\n');
      expect(lines[0]).toContain(`No Redis at ${deadUrl} and no redis-server on the PATH`);
      expect(lines[1]).toMatch(/^Task queue: using the embedded PostgreSQL \(PGlite\) in memory/);
      expect(output()).toContain('(queues on embedded PostgreSQL (PGlite) in memory)');

      const job = await runJob(baseUrl, 5);
      expect(job.result).toMatchObject({ processed: 5, steps: 3 });
      launcher.kill('SIGTERM');
      expect(await exitOf(launcher, 20_000)).toEqual({ code: 0, signal: null });
    },
    TEST_MS,
  );

  it(
    'serves the API and runs a job on a private Redis; SIGTERM leaves no redis-server',
    async () => {
      const { launcher, deadUrl, redisUrl, redisPort, baseUrl, appPid } = await startDemo();
      expect(redisUrl).not.toBe(deadUrl);
      expect(serverPids(redisPort).length).toBeGreaterThan(0);

      const job = await runJob(baseUrl, 42);
      expect(job.result).toMatchObject({ processed: 42, steps: 3 });

      launcher.kill('SIGTERM');
      // The app closes (active jobs finish first) and exits 0; the launcher passes that on.
      expect(await exitOf(launcher, 20_000)).toEqual({ code: 0, signal: null });
      expect(isAlive(appPid)).toBe(false);
      expect(serverPids(redisPort)).toEqual([]);
    },
    TEST_MS,
  );

  it(
    'leaves no redis-server when the app process is SIGKILLed',
    async () => {
      const { launcher, redisPort, baseUrl, appPid } = await startDemo();
      await runJob(baseUrl, 7);
      expect(serverPids(redisPort).length).toBeGreaterThan(0);

      process.kill(appPid, 'SIGKILL');
      expect(await exitOf(launcher, 20_000)).toEqual({ code: 128 + 9, signal: null });
      expect(serverPids(redisPort)).toEqual([]);
    },
    TEST_MS,
  );
});
