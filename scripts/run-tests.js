#!/usr/bin/env node
// Usage: node scripts/run-tests.js [jest options...]   (what `npm test` runs)
// Finds what the tests need: a Redis (a private redis-server if none answers and one is
// installed), the PostgreSQL at TEST_DATABASE_URL, Chromium. Specs that need something this
// machine lacks are skipped, one line each saying what to install, and counted at the end; the
// backend-neutral specs always run on the embedded backend (PGlite). With CI=true nothing may
// be skipped. Then runs Jest and exits with its exit code.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { ensureRedis } from './redis-launcher.js';
import { runCommand } from './run-command.js';

const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHROMIUM = '/usr/bin/chromium';

async function postgresAnswers() {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let redis;
try {
  redis = await ensureRedis();
} catch {
  redis = undefined;
}
const found = {
  redis: Boolean(redis),
  postgres: await postgresAnswers(),
  chromium: existsSync(CHROMIUM),
};
const env = { ...process.env };
for (const [service, present] of Object.entries(found)) {
  env[`TQ_TEST_${service.toUpperCase()}`] = present ? 'yes' : 'no';
}
if (redis) env.REDIS_URL = redis.url;

// The Jest configuration decides what runs; it reads the same variables.
Object.assign(process.env, env);
const { skippedSpecs, INSTALL } = await import('../jest.config.js');
const skipped = skippedSpecs();
const report = () => {
  for (const { spec, backend, missing } of skipped) {
    console.error(`Skipped: ${spec} on ${backend}: ${missing.map((m) => INSTALL[m]).join('; ')}`);
  }
  if (skipped.length > 0) {
    const why = [...new Set(skipped.flatMap(({ missing }) => missing))].join(', ');
    console.error(`${skipped.length} spec file run(s) skipped (missing: ${why}).`);
  }
};
report();
if (skipped.length > 0 && process.env.CI === 'true') {
  console.error('CI=true: every spec must run. Install what is missing (.ci/run does).');
  await redis?.stop();
  process.exit(1);
}

runCommand(
  process.execPath,
  ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)],
  env,
  async () => {
    report();
    await redis?.stop();
  },
);
