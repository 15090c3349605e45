/** Settings of the example app, read from the environment. */
export interface AppConfig {
  /**
   * Where the queues live: `TASK_QUEUE_URL` (`redis://…`, `postgres://…`, `pglite:memory`,
   * `pglite:<directory>`), else `REDIS_URL`, else `redis://127.0.0.1:6379`. `npm start` sets
   * `TASK_QUEUE_URL` to what it finds (scripts/run-with-backend.js).
   */
  queueUrl: string;
  /**
   * `TASK_QUEUE_PREFIX`: the queues' namespace (Redis key prefix, or PostgreSQL schema); unset,
   * the module's default (`bull` on Redis, `bullmq` on PostgreSQL).
   */
  prefix?: string;
  /**
   * `TASK_QUEUE_MIGRATE`: `false` starts without running BullMQ's PostgreSQL migrations (run
   * `npm run tasks -- migrate` in the release step instead); default `true`.
   */
  migrate: boolean;
  /**
   * `TASK_QUEUE_OUTBOX_SCHEMA`: with the queues on Redis and a `DATABASE_URL`, the schema of the
   * outbox table in that database; unset, the module's default (`task_queue_outbox`).
   */
  outboxSchema?: string;
  /** `PORT` of the HTTP API on 127.0.0.1, default 3000 (0 picks a free one). */
  port: number;
  /**
   * `DATABASE_URL`: a PostgreSQL connection string (`postgres://user@host:5432/db`). Unset: an
   * embedded in-process PostgreSQL (PGlite) in memory, so the example runs with nothing installed.
   */
  databaseUrl?: string;
  /**
   * `PGLITE_LOAD_DATA_DIR`: a file written by PGlite's `dumpDataDir()`. Without `DATABASE_URL`,
   * the embedded database starts from it instead of creating its data directory (`initdb`, a few
   * seconds of CPU at every start). The test suite sets it to the one it makes once per run, for
   * every example it boots. A file that cannot be read fails the start, naming it.
   */
  pgliteLoadDataDir?: string;
  /**
   * `TASK_WORKER`: `false` makes the API enqueue only (workers run elsewhere); default `true`.
   * The worker process (`npm run worker`) runs workers whatever it says.
   */
  worker: boolean;
  /** `TASK_SHUTDOWN_GRACE_PERIOD`: seconds active jobs get to finish on shutdown, default 25. */
  shutdownGracePeriod?: number;
  /**
   * `DASHBOARD_USER` and `DASHBOARD_PASSWORD`: basic-auth credentials of the dashboard at
   * `/queues`. Without them the dashboard is served only because the app binds 127.0.0.1.
   */
  dashboardAuth?: { username: string; password: string };
  /** How long the signup's onboarding (`onboard_user`) waits at each stage. */
  onboarding: OnboardingTimes;
}

/** Seconds of the onboarding's waits; the tests shorten them. */
export interface OnboardingTimes {
  /**
   * `ONBOARDING_CONFIRM_WITHIN`: how long the user has to confirm the email address before the
   * reminder goes out; default 3 days.
   */
  confirmWithin: number;
  /**
   * `ONBOARDING_TIPS_AFTER`: how long after confirming the user gets the getting-started tips;
   * default 3 days.
   */
  tipsAfter: number;
}

const THREE_DAYS = 3 * 86400;

/** A positive number of seconds from `env[name]`, else `fallback`; throws naming the variable. */
function secondsFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const seconds = Number(raw);
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new Error(`${name} must be a positive number of seconds, not ${JSON.stringify(raw)}`);
  }
  return seconds;
}

/** The example's queues: everything on `default`, except the slow mailings on `emails`. */
export const QUEUES = ['default', 'emails'];

/** Reads {@link AppConfig} from `env`; throws with the variable's name when one is invalid. */
export function readAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not ${JSON.stringify(env.PORT)}`);
  }
  const worker = env.TASK_WORKER ?? 'true';
  if (worker !== 'true' && worker !== 'false') {
    throw new Error(`TASK_WORKER must be 'true' or 'false', not ${JSON.stringify(worker)}`);
  }
  const migrate = env.TASK_QUEUE_MIGRATE ?? 'true';
  if (migrate !== 'true' && migrate !== 'false') {
    throw new Error(`TASK_QUEUE_MIGRATE must be 'true' or 'false', not ${JSON.stringify(migrate)}`);
  }
  const grace = env.TASK_SHUTDOWN_GRACE_PERIOD;
  const shutdownGracePeriod = grace === undefined || grace === '' ? undefined : Number(grace);
  if (shutdownGracePeriod !== undefined && !(shutdownGracePeriod >= 0)) {
    throw new Error(
      `TASK_SHUTDOWN_GRACE_PERIOD must be a number of seconds (0 or more), not ${JSON.stringify(grace)}`,
    );
  }
  const { DASHBOARD_USER: username, DASHBOARD_PASSWORD: password } = env;
  if (Boolean(username) !== Boolean(password)) {
    throw new Error('Set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither');
  }
  return {
    queueUrl: env.TASK_QUEUE_URL || env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: env.TASK_QUEUE_PREFIX || undefined,
    outboxSchema: env.TASK_QUEUE_OUTBOX_SCHEMA || undefined,
    migrate: migrate === 'true',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    pgliteLoadDataDir: env.PGLITE_LOAD_DATA_DIR || undefined,
    worker: worker === 'true',
    shutdownGracePeriod,
    dashboardAuth: username && password ? { username, password } : undefined,
    onboarding: {
      confirmWithin: secondsFrom(env, 'ONBOARDING_CONFIRM_WITHIN', THREE_DAYS),
      tipsAfter: secondsFrom(env, 'ONBOARDING_TIPS_AFTER', THREE_DAYS),
    },
  };
}

/** The queues' backend as the first log lines name it, without a password. */
export function describeQueueUrl(url: string): string {
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  if (url === 'pglite:memory') return 'embedded PostgreSQL (PGlite) in memory';
  if (url.startsWith('pglite:')) return `embedded PostgreSQL (PGlite) in ${url.slice(7)}`;
  if (/^postgres(ql)?:/.test(url)) return `PostgreSQL at ${shown}`;
  return `Redis at ${shown}`;
}

/**
 * Whether the queues live in the example's own database, so that a route can enqueue inside its
 * transaction: both on PostgreSQL (`TASK_QUEUE_URL` and `DATABASE_URL`; the module checks on first
 * use that they name one database, and refuses otherwise), or both on PGlite (`pglite:memory`
 * without `DATABASE_URL`: app.module.ts hands the queues the app's own PGlite, and its schema).
 *
 * On PGlite only without a `TASK_QUEUE_PREFIX` of another schema than the app's (`public`): the
 * queues set the one session's `search_path` to their schema and leave it there, which would hide
 * the app's tables from its own queries. With one, the queues get a PGlite of their own, as before.
 */
export function queuesShareAppDatabase(config: AppConfig): boolean {
  if (config.databaseUrl) return /^postgres(ql)?:/.test(config.queueUrl);
  return config.queueUrl === 'pglite:memory' && (config.prefix ?? APP_SCHEMA) === APP_SCHEMA;
}

/**
 * Whether the queues are on Redis beside an application PostgreSQL (`DATABASE_URL`): then the
 * module gets an outbox in that database (app.module.ts), and a route enqueues inside its own
 * transaction through it. Without `DATABASE_URL` the app's data is in PGlite, and an outbox
 * takes a PostgreSQL server (a URL or a pg Pool): then there is none, and the signup commits the
 * user first and enqueues after.
 */
export function queuesUseOutbox(config: AppConfig): boolean {
  return Boolean(config.databaseUrl) && isRedisUrl(config.queueUrl);
}

/** Whether a route can enqueue inside its own transaction: the queues in the app's database, or an outbox there. */
export function enqueuesInAppTransactions(config: AppConfig): boolean {
  return queuesShareAppDatabase(config) || queuesUseOutbox(config);
}

const isRedisUrl = (url: string) => /^rediss?:/.test(url);

/** The schema of the example's tables on PGlite, which the queues share there. */
export const APP_SCHEMA = 'public';
