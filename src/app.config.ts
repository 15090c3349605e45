/** Settings of the example app, read from the environment. */
export interface AppConfig {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `TASK_QUEUE_PREFIX`: Redis key prefix of the queues, default `bull`. */
  prefix: string;
  /** `PORT` of the HTTP API on 127.0.0.1, default 3000 (0 picks a free one). */
  port: number;
  /**
   * `DASHBOARD_USER` and `DASHBOARD_PASSWORD`: basic-auth credentials of the dashboard at
   * `/queues`. Without them the dashboard is served only because the app binds 127.0.0.1.
   */
  dashboardAuth?: { username: string; password: string };
}

/** Reads {@link AppConfig} from `env`; throws with the variable's name when one is invalid. */
export function readAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not ${JSON.stringify(env.PORT)}`);
  }
  const { DASHBOARD_USER: username, DASHBOARD_PASSWORD: password } = env;
  if (Boolean(username) !== Boolean(password)) {
    throw new Error('Set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither');
  }
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: env.TASK_QUEUE_PREFIX || 'bull',
    port,
    dashboardAuth: username && password ? { username, password } : undefined,
  };
}
