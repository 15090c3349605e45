#!/usr/bin/env node
// Usage: node scripts/run-with-backend.js <command> [args...]   (what `npm start` runs)
// Runs the command with TASK_QUEUE_URL set to where the example's queues live, and says which:
// TASK_QUEUE_URL if set (any backend), else the Redis at REDIS_URL (default 127.0.0.1:6379) if
// it answers, else a private redis-server if one is installed (stopped with the command), else
// the embedded PostgreSQL (PGlite) in memory, which needs nothing installed.
import { runCommand } from './run-command.js';
import { ensureRedis } from './redis-launcher.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('Usage: node scripts/run-with-backend.js <command> [args...]');
  process.exit(2);
}

const hidePassword = (url) => url.replace(/\/\/[^@/]*@/, '//***@');
let redis;
let queueUrl = process.env.TASK_QUEUE_URL;
if (queueUrl) {
  console.error(`Task queue: TASK_QUEUE_URL ${hidePassword(queueUrl)}`);
} else {
  try {
    redis = await ensureRedis();
    queueUrl = redis.url;
    console.error(`Task queue: Redis at ${hidePassword(queueUrl)}`);
  } catch (error) {
    queueUrl = 'pglite:memory';
    console.error(`Task queue: ${error instanceof Error ? error.message : error}`);
    console.error(
      'Task queue: using the embedded PostgreSQL (PGlite) in memory: jobs last as long as ' +
        'this process. Set TASK_QUEUE_URL (redis://, postgres://, pglite:<directory>) to keep them.',
    );
  }
}

runCommand(
  command,
  args,
  { ...process.env, TASK_QUEUE_URL: queueUrl },
  () => redis?.stop() ?? Promise.resolve(),
);
