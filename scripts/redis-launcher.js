/**
 * Finds a Redis for the app and the tests: the one at REDIS_URL if it answers, else a private
 * redis-server on a free loopback port that never outlives the Node process that started it.
 * The specs that need a redis-server of their own (to stop, restart or configure) start it here
 * too, with startRedisServer.
 */
import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const START_TIMEOUT_MS = 10_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// Node has no PR_SET_PDEATHSIG, so a shell keeps watch: it runs redis-server in the background,
// kills it once the Node process ($1) is gone, even by SIGKILL, and exits when redis-server does.
// The second `wait` is needed because a trapped signal makes the first one return early.
const WATCHDOG = `
parent=$1; shift
"$@" &
redis=$!
(while kill -0 "$parent"; do sleep 0.5; done; kill "$redis") 2>/dev/null &
watchdog=$!
trap 'kill "$redis" "$watchdog" 2>/dev/null' INT TERM HUP
wait "$redis"
wait "$redis" 2>/dev/null
kill "$watchdog" 2>/dev/null
wait "$watchdog"
`;

/** Private servers still running, killed synchronously if this process exits or is signalled. */
const running = new Set();

function killAll() {
  for (const server of running) {
    server.kill('SIGTERM');
    if (server.ownDir) rmSync(server.dir, { recursive: true, force: true });
  }
  running.clear();
}

function onSignal(signal) {
  // Another listener means the app handles this signal and is not dying of it: the exit hook
  // will do. Otherwise clean up and die of the signal, as if we had never listened.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  setHooks(false);
  process.kill(process.pid, signal);
}

function setHooks(on) {
  const method = on ? 'on' : 'off';
  process[method]('exit', killAll);
  for (const signal of SIGNALS) process[method](signal, onSignal);
}

/**
 * Returns a Redis to use: the one at `url` if it answers PING within about a second, otherwise
 * a private redis-server (see {@link startRedisServer}) that `stop()` kills. Throws if there is
 * neither.
 * @param {{ url?: string, log?: (message: string) => void }} [options]
 * @returns {Promise<{ url: string, started: boolean, stop: () => Promise<void> }>}
 */
export async function ensureRedis({
  url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  log = console.error,
} = {}) {
  if (await answersPing(url, 1000)) return { url, started: false, stop: async () => {} };

  if (!findOnPath('redis-server')) {
    throw new Error(
      `No Redis at ${url} and no redis-server on the PATH: install one ` +
        '(`sudo apt-get install redis-server` on Debian/Ubuntu, `brew install redis` on macOS) ' +
        'or set REDIS_URL to a running server.',
    );
  }
  const server = await startRedisServer();
  log(`No Redis at ${url}: started a private redis-server at ${server.url}`);
  return { url: server.url, started: true, stop: () => server.stop() };
}

/**
 * Starts a redis-server on 127.0.0.1 that never outlives this Node process, and waits until it
 * answers PING. No persistence unless `args` asks for it; its files and its log (redis.log) go in
 * `dir`.
 * @param {{ port?: number, dir?: string, args?: string[] }} [options] `port`: default, a free
 *   one. `dir`: default, a new temporary folder that `stop()` removes; a folder passed in is
 *   kept, to start a server again on the same files. `args`: more redis-server arguments, after
 *   the defaults, so they win.
 * @returns {Promise<{ url: string, port: number, dir: string, stop: (signal?: NodeJS.Signals) => Promise<void> }>}
 */
export async function startRedisServer({ port, dir, args = [] } = {}) {
  port ??= await freePort();
  const ownDir = dir === undefined;
  dir ??= await mkdtemp(join(tmpdir(), 'redis-launcher-'));
  const logFile = join(dir, 'redis.log');
  // redis-server logs to stdout unless given --logfile; sending stdout and stderr to the log
  // file also keeps the errors it prints before it reads its configuration.
  const out = openSync(logFile, 'a');
  const listen = ['--bind', '127.0.0.1', '--port', String(port)];
  const throwaway = ['--save', '', '--appendonly', 'no', '--dir', dir];
  // detached: its own process group, so a terminal's Ctrl-C reaches the app first and Redis is
  // stopped only after the app has shut down.
  const child = spawn(
    '/bin/sh',
    ['-c', WATCHDOG, 'sh', String(process.pid), 'redis-server', ...listen, ...throwaway, ...args],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref(); // Let the process exit without calling stop(): the exit hook kills the server.
  let exited = false;
  const exit = new Promise((resolve) => {
    const done = () => {
      exited = true;
      resolve();
    };
    child.once('exit', done).once('error', done);
  });

  const server = {
    dir,
    ownDir,
    kill(signal) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    },
  };
  if (running.size === 0) setHooks(true);
  running.add(server);

  const stop = async (signal = 'SIGTERM') => {
    if (!running.delete(server)) return;
    if (running.size === 0) setHooks(false);
    server.kill(signal);
    const force = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(force);
    // A SIGKILL reaches the shell and redis-server at once: the shell's end does not prove
    // that redis-server has let go of the port, which a restart on that port needs.
    await portClosed(port);
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  // ioredis, refused a connection, holds this process open for two seconds: it asks only once
  // the port accepts.
  while (!((await accepts(port)) && (await answersPing(url, 500)))) {
    if (exited || Date.now() > deadline) {
      const lastLine = readLastLine(logFile);
      await stop();
      const why = exited ? 'exited' : `did not answer PING within ${START_TIMEOUT_MS / 1000} s`;
      throw new Error(`redis-server on 127.0.0.1:${port} ${why}: ${lastLine}`);
    }
    await sleep(100);
  }
  return { url, port, dir, stop };
}

/** Waits until nothing accepts connections on the loopback `port`. */
async function portClosed(port) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (await accepts(port)) {
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} still accepts connections`);
    await sleep(50);
  }
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True if a Redis at `url` answers PING within `timeoutMs`. */
async function answersPing(url, timeoutMs) {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // A failure only means "no".
  let timer;
  try {
    const reply = redis
      .connect()
      .then(() => redis.ping())
      .catch(() => 'no answer');
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')));
    return (await Promise.race([reply, timeout])) === 'PONG';
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** A port nobody listens on now: the OS picks it. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readLastLine(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines.at(-1) || 'no output';
  } catch {
    return 'no output';
  }
}
