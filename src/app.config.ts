/** Settings of the example app, read from the environment. */
export interface AppConfig {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `TASK_QUEUE_PREFIX`: Redis key prefix of the queues, default `bull`. */
  prefix: string;
  /** `PORT` of the HTTP API on 127.0.0.1, default 3000 (0 picks a free one). */
  port: number;
  /**
   * `DATABASE_URL`: a PostgreSQL connection string (`postgres://user@host:5432/db`). Unset: an
   * embedded in-process PostgreSQL (PGlite) in memory, so the example runs with nothing installed.
   */
  databaseUrl?: string;
}

/** Reads {@link AppConfig} from `env`; throws with the variable's name when one is invalid. */
export function readAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not ${JSON.stringify(env.PORT)}`);
  }
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: env.TASK_QUEUE_PREFIX || 'bull',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
  };
}
