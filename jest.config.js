import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * How the TypeScript sources become JavaScript: transpiled file by file by SWC, as tsconfig.json
 * would (its target, legacy decorators with their metadata, which Nest's dependency injection
 * reads, and class fields defined as ES2022 defines them). Nothing is type-checked here:
 * `npm run check` runs tsc over the specs too.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2023',
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** Jest runs the TypeScript sources as native ESM (NestJS 12 is ESM-only). */
export const esmTs = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@app/task-queue$': '<rootDir>/libs/task-queue/src/index.ts',
    '^@app/task-queue/dashboard$': '<rootDir>/libs/task-queue/src/dashboard/index.ts',
    '^@app/task-queue/testing$': '<rootDir>/libs/task-queue/src/testing/index.ts',
    // The package's own name, as the README's snippets (and a spec kept equal to one) import it.
    '^nestjs-task-queue$': '<rootDir>/libs/task-queue/src/index.ts',
    '^nestjs-task-queue/dashboard$': '<rootDir>/libs/task-queue/src/dashboard/index.ts',
    '^nestjs-task-queue/testing$': '<rootDir>/libs/task-queue/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

const ALL_BACKENDS = ['redis', 'postgres', 'pglite'];

/**
 * The end-to-end specs that run on other backends than Redis, and on which. A spec whose subject
 * is the module's own work above the backend runs once, on Redis: per-job dependency injection
 * (di), the prom-client metrics counted from each run's outcome (metrics; the gauges the backend
 * answers are read on every backend by observability), and OpenTelemetry spans, whose context
 * travels in the job's data (tracing). So do the parts of cls and dashboard that no backend
 * changes (describeOn in those files).
 */
const BACKENDS = {
  'task-queue': ALL_BACKENDS,
  semantics: ALL_BACKENDS,
  'enqueue-many': ALL_BACKENDS,
  'job-log': ALL_BACKENDS,
  shutdown: ALL_BACKENDS,
  'fail-fast': ALL_BACKENDS,
  'close-idle': ALL_BACKENDS,
  'schedule-every': ALL_BACKENDS,
  observability: ALL_BACKENDS,
  'scheduled-task': ALL_BACKENDS,
  'nest-bullmq': ALL_BACKENDS,
  'schedule-runtime': ALL_BACKENDS,
  'schedule-overlap': ALL_BACKENDS,
  'nest-schedule': ALL_BACKENDS,
  map: ALL_BACKENDS,
  flows: ALL_BACKENDS,
  // Redis: only its refusal without an outbox (the outbox has its own spec).
  transactions: ALL_BACKENDS,
  // The ORMs' own transactions on the PostgreSQL server (Drizzle on PGlite: the example app);
  // on Redis, into the outbox in that server.
  'transaction-adapters': ['postgres', 'redis'],
  migrations: ['postgres', 'pglite'],
  'postgres-connections': ['postgres'],
  'retention-deadlocks': ['postgres'],
  'retention-sweep': ['postgres'],
  // Two sessions that deadlock: not PGlite, which has one.
  'postgres-deadlocks': ['postgres'],
  // A claim in flight while a promote runs: two sessions, so not PGlite.
  'postgres-promote': ['postgres'],
  'postgres-complete-batch': ['postgres'],
  'postgres-listen': ['postgres'],
  // Several processes share the backend: not PGlite, which lives in one process.
  'cross-process': ['redis', 'postgres'],
  scheduling: ['redis', 'postgres'],
  'worker-process': ['redis', 'postgres'],
  'nest-schedule-replicas': ['redis', 'postgres'],
  'schedule-overlap-replicas': ['redis', 'postgres'],
  'tasks-cli': ['redis', 'postgres'],
  // Its spawned processes skip PGlite (one process); its in-process part runs everywhere.
  'run-worker': ALL_BACKENDS,
  dashboard: ALL_BACKENDS,
  'flow-control': ALL_BACKENDS,
  prefetch: ALL_BACKENDS,
  steps: ALL_BACKENDS,
  'steps-waiters': ALL_BACKENDS,
  'flow-control-processes': ['redis', 'postgres'],
  // Its worker process skips PGlite (one process); the rest runs everywhere.
  cls: ALL_BACKENDS,
  // Its 503 needs a backend out of reach: not PGlite, which lives in this process.
  'http-errors': ['redis', 'postgres'],
  // Redis with its outbox in PostgreSQL.
  outbox: ['redis'],
  // The ORM recipes keep their queues in memory (the testing kit): one run, on no queue server.
  recipes: ['pglite'],
};

/** What a spec needs besides its backend's server (see NO_BACKEND for those that need none). */
const EXTRA_NEEDS = {
  dashboard: ['chromium'],
  'db-session': ['postgres'],
  // The application's own tables (TransactionHost) are on PostgreSQL, whatever the backend.
  cls: ['postgres'],
  'example-database': ['postgres'],
  outbox: ['postgres'],
  recipes: ['postgres'],
  'transaction-adapters': ['postgres'],
};

/** The specs that reach no backend, with what they need instead. */
const NO_BACKEND = { 'check-readme': [], 'check-docs-links': [], 'docs-site': ['chromium'] };

const needsOf = (spec, backend) => {
  if (spec in NO_BACKEND) return NO_BACKEND[spec];
  const server = backend === 'pglite' ? [] : [backend];
  return [...new Set([...server, ...(EXTRA_NEEDS[spec] ?? [])])];
};

/** How to get what a spec needs, for the line that says why it was skipped. */
export const INSTALL = {
  redis: "no Redis at REDIS_URL and no redis-server to start: install Debian's redis-server",
  postgres: "no PostgreSQL at TEST_DATABASE_URL: install and start Debian's postgresql",
  chromium: "no Chromium at /usr/bin/chromium: install Debian's chromium",
};

/**
 * Which services this run has: `npm test` (scripts/run-tests.js) looks and sets TQ_TEST_<NAME>
 * to `yes` or `no`; run directly, Jest assumes everything is there.
 */
const has = (service) => process.env[`TQ_TEST_${service.toUpperCase()}`] !== 'no';

const specName = (file) => file.replace(/\.e2e-spec\.ts$/, '');
const e2eSpecs = readdirSync(new URL('./test/', import.meta.url))
  .filter((file) => file.endsWith('.e2e-spec.ts'))
  .map(specName);

/** Each spec on each backend, with what it needs. */
function plan() {
  const runs = [];
  for (const spec of e2eSpecs) {
    for (const backend of BACKENDS[spec] ?? ['redis']) {
      runs.push({ spec, backend, needs: needsOf(spec, backend) });
    }
  }
  return runs;
}

/** The spec runs this machine cannot do, each with what is missing. */
export function skippedSpecs() {
  return plan()
    .map((run) => ({ ...run, missing: run.needs.filter((service) => !has(service)) }))
    .filter((run) => run.missing.length > 0);
}

const paths = (backend) =>
  plan()
    .filter((run) => run.backend === backend && run.needs.every(has))
    .map((run) => `<rootDir>/test/${run.spec}.e2e-spec.ts`);

/** One project per backend; the ones with nothing to run are left out. */
const e2eProjects = [
  { displayName: 'e2e', backend: 'redis' },
  { displayName: 'e2e-postgres', backend: 'postgres' },
  { displayName: 'e2e-pglite', backend: 'pglite' },
]
  .map(({ displayName, backend }) => ({
    ...esmTs,
    displayName,
    rootDir: '.',
    testMatch: paths(backend),
    // Read by test/support/backend.ts.
    globals: { TASK_QUEUE_BACKEND: backend },
    // One PGlite per Jest worker, lent to each spec file on PGlite.
    ...(backend === 'pglite' ? { testEnvironment: '<rootDir>/test/pglite-environment.js' } : {}),
    // Here rather than for the whole run: the unit specs run nothing built.
    globalSetup: '<rootDir>/test/global-setup.js',
  }))
  .filter((project) => project.testMatch.length > 0);

/**
 * How many spec files run at once. With a Redis or a PostgreSQL, most spec files mostly wait
 * (ticks, delays, child processes, servers), so more of them run at once than there are cores:
 * three per core. Without either, every spec runs on PGlite in the Jest workers themselves,
 * which keeps the cores busy: two per core. The development page gives the timings that chose
 * both. At most twelve, which the memory of a Jest worker with its specs' processes allows.
 */
function workers() {
  const perCore = has('redis') || has('postgres') ? 3 : 2;
  return Math.min(availableParallelism() * perCore, 12);
}

export default {
  // A test that starts an application (PGlite in this process, say) shares the cores with the
  // other spec files running at once.
  testTimeout: 60_000,
  maxWorkers: workers(),
  // The longest spec files first (test/spec-durations.json), so none starts last.
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
  projects: [
    {
      ...esmTs,
      displayName: 'unit',
      rootDir: '.',
      // Nothing built; only the data directory the specs' PGlite databases start from.
      globalSetup: '<rootDir>/test/pglite-data-dir.js',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/src/**/*.spec.ts',
        // The bench's own logic (bench/*.spec.ts): nothing there reaches a backend.
        '<rootDir>/bench/**/*.spec.ts',
      ],
    },
    ...e2eProjects,
  ],
};
