// nestjs-cls in an application with the task queue: each run gets a CLS context of its own (its
// id the job's), the keys of `cls.propagate` travel from the enqueuer's context into the run's
// (within a process and, where processes share the backend, into a worker process of its own),
// and @nestjs-cls/transactional's @Transactional() and TransactionHost work inside a task as in
// a request: the run's writes commit with it, or roll back when it throws.
// The applications are test/fixtures/cls-app.main.ts, built and spawned: nestjs-cls and its
// plugin are CommonJS that require Nest (ESM only), which Jest's module loader cannot do here.
import type { TaskJobInfo } from '@app/task-queue';
import { BACKEND, describeOn, testBackend, type TestBackend } from './support/backend.js';
import { killAllBuilt, startScript, type BuiltProcess } from './support/built-app.js';
import { exitOf } from './support/processes.js';
import { createSchema, runSql, type TestSchema } from './support/postgres.js';
import { eventually } from './support/redis.js';

const APP = 'dist/test/fixtures/cls-app.main.js';
const PROPAGATE = 'tenantId,userId';

/** A running fixture application and its HTTP API. */
interface ClsApp {
  process: BuiltProcess;
  url: string;
  /** Runs `call` (see the fixture's `Call`) inside a CLS context; its value or its error. */
  call<T = unknown>(
    call: object,
  ): Promise<{ value?: T; error?: { name: string; message: string } }>;
  get<T = unknown>(path: string): Promise<T>;
  /** The job once it has completed or failed. */
  finished(id: string, timeoutMs?: number): Promise<TaskJobInfo>;
}

async function startApp(
  backend: TestBackend,
  schema: TestSchema,
  env: Record<string, string> = {},
): Promise<ClsApp> {
  const child = startScript(APP, [], {
    ...backend.env,
    APP_DATABASE_URL: schema.url,
    CLS_PROPAGATE: PROPAGATE,
    ...env,
  });
  const [, url] = await child.waitForOutput(/cls app ready on (http:\/\/\S+)/, 60_000);
  const get = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  return {
    process: child,
    url,
    get,
    call: async (call) => {
      const response = await fetch(`${url}/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(call),
      });
      return (await response.json()) as never;
    },
    finished: (id, timeoutMs = 20_000) =>
      eventually(
        async () => {
          const { job } = await get<{ job: TaskJobInfo | null }>(`/jobs/${id}`);
          return job?.status === 'complete' || job?.status === 'failed' ? job : undefined;
        },
        timeoutMs,
        `job ${id} to finish`,
      ),
  };
}

const backend = testBackend('cls');
let schema: TestSchema;
let app: ClsApp;
const values = { tenantId: 'acme', userId: 7, secret: 'not listed' };

beforeAll(async () => {
  schema = await createSchema('cls');
  await runSql(`CREATE TABLE "${schema.name}".ledger (entry text PRIMARY KEY)`);
}, 90_000);

afterAll(async () => {
  await killAllBuilt();
  await backend.cleanup();
  await schema?.drop();
}, 60_000);

// What nestjs-cls does around a run (its context, the keys carried in the job's data, proxy
// providers, @Transactional() on the application's own database) is the module's work, whatever
// backend carries the job: on Redis only. An enqueue that joins a @Transactional() method (below)
// goes into the backend's own transaction, so those run on each backend that has one.
describeOn(['redis'], 'nestjs-cls around a run', () => {
  beforeAll(async () => {
    app = await startApp(backend, schema);
  }, 90_000);

  describe('each run in a CLS context of its own', () => {
    it('is active, has the job id as its id, and keeps nothing from the run before', async () => {
      const first = await app.call<{ id: string }>({ op: 'enqueue' });
      const second = await app.call<{ id: string }>({ op: 'enqueue' });
      for (const { value } of [first, second]) {
        expect((await app.finished(value!.id)).result).toMatchObject({
          active: true,
          id: value!.id,
          tenantId: null,
          leaked: null,
        });
      }
    });

    it('is not the enqueuer’s: a key set where the job was enqueued is not in the run', async () => {
      const { value } = await app.call({ op: 'apply', values: { setByRun: 'the enqueuer' } });
      expect(value).toMatchObject({ active: true, leaked: null });
    });
  });

  describe('cls.propagate', () => {
    it('carries the listed keys into the run (enqueue, apply, enqueueMany, map)', async () => {
      const { value: job } = await app.call<{ id: string }>({ op: 'enqueue', values });
      expect((await app.finished(job!.id)).result).toMatchObject({
        tenantId: 'acme',
        userId: 7,
        secret: null,
      });

      const applied = await app.call({ op: 'apply', values });
      expect(applied.value).toMatchObject({ tenantId: 'acme', userId: 7, secret: null });

      const { value: many } = await app.call<{ id: string }[]>({
        op: 'enqueueMany',
        values: { tenantId: 'globex' },
        items: [{ name: 'cls_echo' }, { name: 'cls_scoped' }],
      });
      const [echoed, scoped] = await Promise.all(many!.map(({ id }) => app.finished(id)));
      expect(echoed.result).toMatchObject({ tenantId: 'globex', userId: null });
      // A per-job provider is made inside the run's context, with the carried keys set.
      expect(scoped.result).toEqual({ tenantId: 'globex', now: 'globex' });

      const mapped = await app.call({ op: 'map', values: { userId: 9 }, payloads: [{}, {}] });
      expect(mapped.value).toEqual([
        expect.objectContaining({ tenantId: null, userId: 9 }),
        expect.objectContaining({ tenantId: null, userId: 9 }),
      ]);
    });

    it('carries them into every job of a flow', async () => {
      const { value } = await app.call<{ id: string }>({
        op: 'flow',
        values: { tenantId: 'initech' },
        flow: { name: 'cls_parent', children: [{ name: 'cls_echo' }] },
      });
      expect((await app.finished(value!.id)).result).toEqual({
        tenantId: 'initech',
        children: [expect.objectContaining({ tenantId: 'initech' })],
      });
    });

    it('carries nothing into the runs of a schedule made inside a context', async () => {
      const { value: id } = await app.call<string>({
        op: 'schedule',
        task: 'cls_tick',
        id: 'cls-tick',
        values,
      });
      try {
        const ticks = await eventually(
          async () => {
            const seen = await app.get<unknown[]>('/ticks');
            return seen.length > 0 ? seen : undefined;
          },
          15_000,
          'a tick',
        );
        expect(ticks[0]).toBeNull();
      } finally {
        await app.call({ op: 'unschedule', id });
      }
    });

    it('refuses a value that is not plain data, naming the task and the key', async () => {
      const refused = await app.call({
        op: 'enqueue',
        values: { tenantId: 'acme' },
        maps: ['userId'],
      });
      expect(refused.error).toEqual({
        name: 'InvalidPayloadError',
        message: expect.stringMatching(
          /^Task 'cls_echo': CLS key 'userId'.* cls\.userId is a Map instance, not plain data/,
        ) as unknown,
      });
    });
  });

  // The testing kit needs no backend: once, in the Redis project.
  describe('the testing kit with ClsModule', () => {
    it('runs each job in a CLS context of its own, with the keys its job carries', async () => {
      const child = startScript('dist/test/fixtures/cls-testing.main.js', [], {});
      const [, json] = await child.waitForOutput(/cls testing (?:results|failed) (.*)/, 60_000);
      expect(await exitOf(child.child, 30_000)).toEqual({ code: 0, signal: null });
      const results = JSON.parse(json) as Record<string, { id: string; result: unknown }[]>;
      // Manual mode (drain(), outside any context) and inline mode (inside the enqueuer's) alike.
      for (const mode of ['manual', 'inline']) {
        const [first, second, scoped] = results[mode];
        for (const { id, result } of [first, second]) {
          expect({ mode, result }).toEqual({
            mode,
            result: expect.objectContaining({
              active: true,
              id,
              tenantId: 'acme',
              leaked: null,
            }) as unknown,
          });
        }
        // A per-job provider is made inside the run's context, with the carried key set.
        expect({ mode, result: scoped.result }).toEqual({
          mode,
          result: { tenantId: 'acme', now: 'acme' },
        });
      }
    });
  });

  describe('cls options without ClsModule', () => {
    it('fail the bootstrap, saying what to import', async () => {
      const child = startScript(APP, [], {
        ...backend.env,
        APP_DATABASE_URL: schema.url,
        CLS_PROPAGATE: PROPAGATE,
        CLS_MODULE: 'false',
      });
      await child.waitForOutput(
        /TaskQueueConfigError: TaskQueueModule: option 'cls\.propagate' needs nestjs-cls, but the application does not import ClsModule\. Potential solutions: .*ClsModule\.forRoot/,
        60_000,
      );
      expect(await exitOf(child.child, 30_000)).not.toEqual({ code: 0, signal: null });
    });
  });

  describe('an application without ClsModule', () => {
    it('does not import nestjs-cls, whose AsyncLocalStorage every promise would pay for', async () => {
      // Under a prefix of its own: its worker must not take the jobs of this file's app.
      const child = startScript('dist/test/fixtures/worker.main.js', [], {
        ...backend.env,
        TASK_QUEUE_PREFIX: `${backend.prefix}:no-cls`,
      });
      const [, loaded] = await child.waitForOutput(/nestjs-cls loaded: (\w+)/, 60_000);
      await child.waitForOutput(/worker ready/, 60_000);
      await child.stop();
      expect(loaded).toBe('false');
    });
  });

  describe('cls.resolveProxyProviders and an @InjectableProxy() provider', () => {
    const proxyOf = async (on: ClsApp) => {
      const { value } = await on.call<{ id: string }>({
        op: 'enqueue',
        task: 'cls_proxy',
        values: { tenantId: 'acme' },
      });
      return { id: value!.id, job: await on.finished(value!.id) };
    };

    it('without it, a task reads the proxy provider unresolved (nestjs-cls: empty)', async () => {
      const { job } = await proxyOf(app);
      expect(job).toMatchObject({ status: 'complete', result: { tenantId: null, madeIn: null } });
    });

    it('with it, the proxy provider is made in the run’s context, with the carried keys', async () => {
      const resolving = testBackend('cls_proxy');
      const withOption = await startApp(resolving, schema, { CLS_RESOLVE_PROXY: 'true' });
      try {
        const { id, job } = await proxyOf(withOption);
        expect(job).toMatchObject({ status: 'complete', result: { tenantId: 'acme', madeIn: id } });
      } finally {
        await withOption.process.stop();
        await resolving.cleanup();
      }
    });
  });

  describe('@Transactional() inside a task', () => {
    it('commits the run’s writes when the task completes', async () => {
      const { value } = await app.call<{ id: string }>({
        op: 'enqueue',
        task: 'ledger_write',
        payload: { entry: 'ok' },
      });
      expect(await app.finished(value!.id)).toMatchObject({
        status: 'complete',
        result: { entry: 'ok' },
      });
      expect(await app.get('/ledger')).toEqual(expect.arrayContaining(['ok-1', 'ok-2']));
    });

    it('rolls them all back when the task throws, and the job fails with its error', async () => {
      const { value } = await app.call<{ id: string }>({
        op: 'enqueue',
        task: 'ledger_write',
        payload: { entry: 'no', fail: true },
      });
      expect(await app.finished(value!.id)).toMatchObject({
        status: 'failed',
        error: 'refused no',
      });
      const entries = await app.get<string[]>('/ledger');
      expect(entries.filter((entry) => entry.startsWith('no-'))).toEqual([]);
    });
  });

  describe('cls.propagate across processes', () => {
    it('restores the enqueuer’s keys in the run of a worker process', async () => {
      // A namespace of their own: an API process that only enqueues, and a worker process.
      const shared = testBackend('cls_xproc');
      const started: ClsApp[] = [];
      try {
        const worker = await startApp(shared, schema);
        started.push(worker);
        const api = await startApp(shared, schema, { TASK_WORKER: 'false' });
        started.push(api);
        const userId = { id: 7, roles: ['admin'] };
        const { value } = await api.call<{ id: string }>({
          op: 'enqueue',
          values: { ...values, userId },
        });
        const job = await api.finished(value!.id);
        expect(job).toMatchObject({ status: 'complete' });
        expect(job.result).toEqual({
          active: true,
          id: value!.id,
          tenantId: 'acme',
          userId,
          secret: null,
          leaked: null,
          pid: worker.process.child.pid,
        });
      } finally {
        await Promise.all(started.map((app) => app.process.stop()));
        await shared.cleanup();
      }
    });
  });
});

// A node-postgres TransactionHost ('queues') as it is (on PGlite, one of the queues' instance),
// and Drizzle's through drizzleTransaction; on Redis, both on the outbox's database.
const JOINS = [
  ['a node-postgres (PGlite) TransactionHost', 'true', ['postgres', 'pglite', 'redis']],
  [
    'a Drizzle TransactionHost, through toTransaction: drizzleTransaction',
    'drizzle',
    ['postgres', 'redis'],
  ],
] as const;

for (const [host, variant, backends] of JOINS) {
  describeOn([...backends], `an enqueue inside a @Transactional() method of ${host}`, () => {
    // A namespace of its own.
    const joined = testBackend(`cls_join_${variant}`);
    let signups: ClsApp;
    // On PGlite, the ledger is in the queues' instance, whose search_path they set to theirs.
    const ledger = () => (BACKEND === 'pglite' ? 'public.ledger' : `"${schema.name}".ledger`);
    /** The entries the signups wrote: through TransactionHost 'queues', or Drizzle's. */
    const entries = () =>
      signups.get<string[]>(
        variant === 'drizzle' ? '/ledger' : `/signup-ledger?table=${encodeURIComponent(ledger())}`,
      );
    const signup = (email: string, fail: boolean) =>
      fetch(`${signups.url}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ledger: ledger(), email, fail }),
      }).then(
        (response) =>
          response.json() as Promise<{
            value?: { id: string };
            error?: { message: string };
            jobId?: string;
          }>,
      );

    beforeAll(async () => {
      // On Redis, the outbox in the ledger's database (and schema, dropped with it).
      const outbox: Record<string, string> =
        BACKEND === 'redis' ? { OUTBOX_URL: schema.url, OUTBOX_SCHEMA: schema.name } : {};
      signups = await startApp(joined, schema, { CLS_JOIN: variant, ...outbox });
    }, 90_000);

    afterAll(async () => {
      await signups?.process.stop();
      await joined.cleanup();
    }, 60_000);

    it('commits the job with the method: it runs once', async () => {
      const ann = `ann-${variant}@example.com`;
      const { value } = await signup(ann, false);
      const job = await signups.finished(value!.id);
      expect(job).toMatchObject({ status: 'complete', attempts: 1 });
      expect(job.result).toMatchObject({ active: true, id: value!.id });
      expect(await entries()).toContain(ann);
    });

    it('rolls it back with the method: the job never runs and reads back undefined', async () => {
      const bob = `bob-${variant}@example.com`;
      const refused = await signup(bob, true);
      expect(refused.error?.message).toBe(`signup of ${bob} refused`);
      expect(refused.jobId).toEqual(expect.any(String));
      // Long enough for a worker of this application to have taken a job that existed (on
      // Redis, for the outbox's relay to have moved a committed row, past its 2 s poll).
      await new Promise((resolve) => setTimeout(resolve, BACKEND === 'redis' ? 2500 : 1500));
      expect(await signups.get(`/jobs/${refused.jobId}`)).toEqual({ job: null });
      expect(await entries()).not.toContain(bob);
    });
  });
}
