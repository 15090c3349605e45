import {
  enqueuesInAppTransactions,
  queuesShareAppDatabase,
  queuesUseOutbox,
  readAppConfig,
} from './app.config.js';

describe('readAppConfig: dashboard credentials', () => {
  it('has none by default: the dashboard is then served on loopback only', () => {
    expect(readAppConfig({}).dashboardAuth).toBeUndefined();
  });

  it('reads DASHBOARD_USER and DASHBOARD_PASSWORD together', () => {
    const config = readAppConfig({ DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'hunter2' });
    expect(config.dashboardAuth).toEqual({ username: 'admin', password: 'hunter2' });
  });

  it('refuses one without the other, rather than leaving the dashboard open', () => {
    expect(() => readAppConfig({ DASHBOARD_USER: 'admin' })).toThrow(
      'Set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither',
    );
  });
});

describe('readAppConfig: the embedded database', () => {
  it('starts from the PGLITE_LOAD_DATA_DIR dump when set, else creates its data directory', () => {
    expect(readAppConfig({}).pgliteLoadDataDir).toBeUndefined();
    expect(readAppConfig({ PGLITE_LOAD_DATA_DIR: '' }).pgliteLoadDataDir).toBeUndefined();
    const dump = '/tmp/pglite-data-dir.tar';
    expect(readAppConfig({ PGLITE_LOAD_DATA_DIR: dump }).pgliteLoadDataDir).toBe(dump);
  });
});

describe('readAppConfig: the onboarding', () => {
  it('waits 3 days by default, else the seconds of ONBOARDING_CONFIRM_WITHIN and _TIPS_AFTER', () => {
    expect(readAppConfig({}).onboarding).toEqual({ confirmWithin: 259200, tipsAfter: 259200 });
    const env = { ONBOARDING_CONFIRM_WITHIN: '5', ONBOARDING_TIPS_AFTER: '0.5' };
    expect(readAppConfig(env).onboarding).toEqual({ confirmWithin: 5, tipsAfter: 0.5 });
  });

  it('refuses a value that is not a positive number of seconds, naming the variable', () => {
    expect(() => readAppConfig({ ONBOARDING_TIPS_AFTER: '3d' })).toThrow(
      'ONBOARDING_TIPS_AFTER must be a positive number of seconds, not "3d"',
    );
  });
});

describe('queuesShareAppDatabase', () => {
  const shares = (env: NodeJS.ProcessEnv) => queuesShareAppDatabase(readAppConfig(env));

  it('is true on one PostgreSQL, or on PGlite in memory in the schema of the app', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/app';
    expect(shares({ TASK_QUEUE_URL: url, DATABASE_URL: url })).toBe(true);
    expect(shares({ TASK_QUEUE_URL: 'pglite:memory' })).toBe(true);
    expect(shares({ TASK_QUEUE_URL: 'pglite:memory', TASK_QUEUE_PREFIX: 'public' })).toBe(true);
  });

  it('is false with the queues on Redis, apart from PGlite data, or in another PGlite schema', () => {
    expect(shares({ TASK_QUEUE_URL: 'redis://127.0.0.1:6379' })).toBe(false);
    expect(shares({ TASK_QUEUE_URL: 'postgres://postgres@127.0.0.1:5432/app' })).toBe(false);
    expect(shares({ TASK_QUEUE_URL: 'pglite:/tmp/queues' })).toBe(false);
    expect(shares({ TASK_QUEUE_URL: 'pglite:memory', TASK_QUEUE_PREFIX: 'tasks' })).toBe(false);
  });
});

describe('queuesUseOutbox', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/app';
  const config = (env: NodeJS.ProcessEnv) => readAppConfig(env);

  it('is true on Redis beside an app PostgreSQL, whose transactions then enqueue', () => {
    const env = { TASK_QUEUE_URL: 'redis://127.0.0.1:6379', DATABASE_URL: url };
    expect(queuesUseOutbox(config(env))).toBe(true);
    expect(enqueuesInAppTransactions(config(env))).toBe(true);
    expect(config({ ...env, TASK_QUEUE_OUTBOX_SCHEMA: 'app' }).outboxSchema).toBe('app');
  });

  it('is false on Redis with the data in PGlite, and with the queues on PostgreSQL', () => {
    const redis = { TASK_QUEUE_URL: 'redis://127.0.0.1:6379' };
    expect(queuesUseOutbox(config(redis))).toBe(false);
    expect(enqueuesInAppTransactions(config(redis))).toBe(false);
    expect(queuesUseOutbox(config({ TASK_QUEUE_URL: url, DATABASE_URL: url }))).toBe(false);
  });
});
