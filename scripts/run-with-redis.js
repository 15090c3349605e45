#!/usr/bin/env node
// Usage: node scripts/run-with-redis.js <command> [args...]
// Runs the command with REDIS_URL set to a Redis that answers (a private one if need be), then
// stops that private Redis and exits with the command's exit code. A command given
// `--backend postgres` or `--backend pglite` (the bench on another backend) runs as it is.
import { runCommand } from './run-command.js';
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

runCommand(
  command,
  args,
  redis ? { ...process.env, REDIS_URL: redis.url } : process.env,
  () => redis?.stop() ?? Promise.resolve(),
);
