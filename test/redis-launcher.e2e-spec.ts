// The private Redis launcher, for real: it starts redis-server processes on free loopback ports
// and checks, with pgrep, that none of them outlives its owner however that owner ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ensureRedis, startRedisServer, type RedisServer } from '../scripts/redis-launcher.js';
import { exitOf, freePort, isAlive, serverPids, waitFor } from './support/processes.js';

const CLI = fileURLToPath(new URL('../scripts/run-with-redis.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

// The app the CLI runs: pings the Redis it is given, says so, then waits to be stopped.
const APP = `
const { Redis } = require('ioredis');
const redis = new Redis(process.env.REDIS_URL);
redis.ping().then((pong) => {
  console.log('ready', pong, process.env.REDIS_URL, process.pid);
  redis.disconnect();
  setInterval(() => {}, 1000);
});
`;

const children: ChildProcess[] = [];
const appPids: number[] = [];
const ports: number[] = [];

/** Runs `run-with-redis.js node -e APP` with no Redis at REDIS_URL. */
async function startCli(env: NodeJS.ProcessEnv = {}) {
  const deadUrl = `redis://127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, [CLI, process.execPath, '-e', APP], {
    cwd: REPO,
    env: { ...process.env, REDIS_URL: deadUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const output = () => ({ stdout, stderr });
  const closed = new Promise((resolve) => child.once('close', resolve));
  return { child, deadUrl, output, closed };
}

/** Waits for the app's "ready" line: the URL it was given and its pid. */
async function appReady(output: () => { stdout: string; stderr: string }) {
  const [, url, pid] = await waitFor(
    () => /^ready PONG (\S+) (\d+)$/m.exec(output().stdout),
    15_000,
    'the app to be ready',
  );
  const port = Number(new URL(url).port);
  ports.push(port);
  appPids.push(Number(pid));
  return { url, port, appPid: Number(pid) };
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child);
  }
  for (const pid of appPids.splice(0)) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  // Once its owner is dead, the watchdog removes any redis-server a failed test left.
  for (const port of ports.splice(0)) {
    await waitFor(() => serverPids(port).length === 0, 5000, `no redis-server on ${port}`);
  }
});

describe('ensureRedis', () => {
  it('reuses the Redis at the URL when it answers PING', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = await ensureRedis({ url, log: () => {} });
    expect(redis).toMatchObject({ url, started: false });
    await redis.stop();
  });

  it('starts a private redis-server on 127.0.0.1 when none answers, and stop() removes it', async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const messages: string[] = [];
    const redis = await ensureRedis({ url: deadUrl, log: (message) => messages.push(message) });
    const port = Number(new URL(redis.url).port);
    ports.push(port);
    try {
      expect(redis.started).toBe(true);
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(redis.url).not.toBe(deadUrl);
      expect(messages).toEqual([
        `No Redis at ${deadUrl}: started a private redis-server at ${redis.url}`,
      ]);

      const client = new Redis(redis.url);
      const pong = await client.ping();
      const config = async (name: string) => ((await client.config('GET', name)) as string[])[1];
      const [bind, save, appendonly, dir] = await Promise.all(
        ['bind', 'save', 'appendonly', 'dir'].map(config),
      );
      await client.quit();
      expect({ pong, bind, save, appendonly }).toEqual({
        pong: 'PONG',
        bind: '127.0.0.1',
        save: '',
        appendonly: 'no',
      });
      expect(dir.startsWith(tmpdir())).toBe(true);
      expect(existsSync(dir)).toBe(true);
      expect(serverPids(port).length).toBeGreaterThan(0);

      // A second caller reuses it rather than starting another.
      const again = await ensureRedis({ url: redis.url, log: () => {} });
      expect(again).toMatchObject({ url: redis.url, started: false });

      await redis.stop();
      expect(serverPids(port)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await redis.stop(); // After a stop(), a no-op.
    }
  });
});

describe('startRedisServer', () => {
  it('starts again on the same port and folder, with extra arguments, and keeps a folder it was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'launcher-spec-'));
    const port = await freePort();
    ports.push(port);
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let server: RedisServer | undefined;
    try {
      server = await startRedisServer({ port, dir, args });
      expect(server).toMatchObject({ url: `redis://127.0.0.1:${port}`, port, dir });
      const client = new Redis(server.url);
      await client.set('kept', 'yes');
      await client.quit();

      // Killed outright: only the append-only file, in the folder, still has the key.
      await server.stop('SIGKILL');
      expect(serverPids(port)).toEqual([]);
      expect(existsSync(join(dir, 'redis.log'))).toBe(true);

      server = await startRedisServer({ port, dir, args });
      const again = new Redis(server.url);
      expect(await again.get('kept')).toBe('yes');
      await again.quit();
      await server.stop();
      expect(serverPids(port)).toEqual([]);
      expect(existsSync(dir)).toBe(true);
    } finally {
      await server?.stop(); // After a stop(), a no-op.
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('run-with-redis.js', () => {
  it('gives the command REDIS_URL; on SIGTERM the app and its redis-server go', async () => {
    const { child, deadUrl, output } = await startCli();
    const { url, port, appPid } = await appReady(output);
    expect(url).not.toBe(deadUrl);
    expect(output().stderr).toContain(`started a private redis-server at ${url}`);
    expect(serverPids(port).length).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 128 + 15, signal: null });
    expect(isAlive(appPid)).toBe(false);
    expect(serverPids(port)).toEqual([]);
  });

  it('stops Redis and exits non-zero when the app is SIGKILLed', async () => {
    const { child, output } = await startCli();
    const { port, appPid } = await appReady(output);
    expect(serverPids(port).length).toBeGreaterThan(0);

    process.kill(appPid, 'SIGKILL');
    expect(await exitOf(child)).toEqual({ code: 128 + 9, signal: null });
    expect(serverPids(port)).toEqual([]);
  });

  it('leaves no redis-server behind when the launcher itself is SIGKILLed', async () => {
    const { child, output } = await startCli();
    const { url, port } = await appReady(output);
    const client = new Redis(url);
    const [, dir] = (await client.config('GET', 'dir')) as string[];
    await client.quit();
    expect(serverPids(port).length).toBeGreaterThan(0);

    child.kill('SIGKILL');
    await exitOf(child);
    await waitFor(() => serverPids(port).length === 0, 3000, 'the watchdog to stop redis-server');
    // Only the watchdog was left to act, and it removes no files: the test does.
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 with one line when there is no Redis and no redis-server on the PATH', async () => {
    const emptyDir = await mkdtemp(`${tmpdir()}/no-redis-`);
    try {
      const { child, deadUrl, output, closed } = await startCli({ PATH: emptyDir });
      expect(await exitOf(child)).toEqual({ code: 1, signal: null });
      await closed; // All of its output is in.
      const { stdout, stderr } = output();
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `No Redis at ${deadUrl} and no redis-server on the PATH: install one ` +
          '(`sudo apt-get install redis-server` on Debian/Ubuntu, `brew install redis` on macOS) ' +
          'or set REDIS_URL to a running server.\n',
      );
    } finally {
      await rm(emptyDir, { recursive: true });
    }
  });
});
