#!/usr/bin/env node
// Usage: node scripts/run-with-redis.js <command> [args...]
// Runs the command with REDIS_URL set to a Redis that answers (a private one if need be), then
// stops that private Redis and exits with the command's exit code. A command given
// `--backend postgres` or `--backend pglite` (the bench on another backend) runs as it is.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ensureRedis } from './redis-launcher.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('Usage: node scripts/run-with-redis.js <command> [args...]');
  process.exit(2);
}

const backendAt = args.findIndex((arg) => arg === '--backend' || arg.startsWith('--backend='));
const backend =
  backendAt < 0
    ? 'redis'
    : args[backendAt] === '--backend'
      ? args[backendAt + 1]
      : args[backendAt].slice('--backend='.length);

let redis;
if (backend === 'redis') {
  try {
    redis = await ensureRedis();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

const child = spawn(command, args, {
  stdio: 'inherit',
  env: redis ? { ...process.env, REDIS_URL: redis.url } : process.env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  await redis?.stop();
  process.exit(code);
}
child.once('error', (error) => {
  console.error(`Cannot run ${command}: ${error.message}`);
  void finish(127);
});
child.once('exit', (code, signal) => void finish(signal ? 128 + constants.signals[signal] : code));
