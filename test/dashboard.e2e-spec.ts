// The dashboard as an operator uses it: Bull Board in a real headless Chromium, against each
// backend, behind basic auth; and, on Redis only, the protection rules that decide whether it is
// mounted at all and the example's configuration of it, which no backend changes.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Injectable, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { chromium, type Browser } from 'playwright-core';
import { Task, TaskQueues, type TaskContext } from '@app/task-queue';
import {
  TaskQueueDashboardModule,
  type TaskQueueDashboardOptions,
} from '@app/task-queue/dashboard';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.js';
import { AppModule } from '../src/app.module.js';
import { BACKEND, describeOn, testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

const SCREENSHOTS = fileURLToPath(new URL('../test-output/dashboard/', import.meta.url));
const CREDENTIALS = { username: 'ops', password: 'correct horse battery staple' };
const SECRET_CARD = '4111111111111111';

/** What the task calls: down until the test brings it back, so the first run fails. */
@Injectable()
class Upstream {
  healthy = false;
}

@Injectable()
class ReportTasks {
  constructor(private readonly upstream: Upstream) {}

  @Task({ name: 'build_report', queue: 'reports' })
  async buildReport(_ctx: TaskContext, payload: { account: string; card: string }) {
    if (!this.upstream.healthy) throw new Error('Upstream down');
    return { built: payload.account };
  }
}

/** Records what the application logs, to check the one line that explains an unmounted board. */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  warn(message: unknown) {
    this.lines.push(String(message));
  }
  error(message: unknown) {
    this.lines.push(String(message));
  }
}

/**
 * An application with the task queue, the dashboard with `options`, listening on `host`; in a
 * namespace of its own unless given `backend`.
 */
async function startOne(
  options: TaskQueueDashboardOptions,
  host = '127.0.0.1',
  providers: Type[] = [],
  backend = testBackend('dashboard'),
): Promise<{ app: INestApplication; url: string; logs: string[] }> {
  const logger = new RecordingLogger();
  const app = await startTaskApp({
    backend,
    imports: [TaskQueueDashboardModule.forRoot(options)],
    providers,
    options: { queues: ['default', 'reports'] },
    logger,
    listen: host,
  });
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, logs: logger.lines };
}

const basic = ({ username, password }: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe(`dashboard behind basic auth, in headless Chromium, on ${BACKEND}`, () => {
  let browser: Browser;
  let url: string;
  let taskQueues: TaskQueues;
  let backend: QueueBackend;
  let upstream: Upstream;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: the dashboard's browser test needs Debian's chromium ` +
          `(apt-get install -y chromium; .ci/run installs it when missing).`,
      );
    }
    const started = await startOne({ auth: CREDENTIALS, maskPayloads: true }, '127.0.0.1', [
      Upstream,
      ReportTasks,
    ]);
    url = started.url;
    taskQueues = started.app.get(TaskQueues);
    backend = started.app.get(QueueBackend);
    upstream = started.app.get(Upstream);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('answers 401 with a Basic challenge without credentials or with wrong ones', async () => {
    const anonymous = await fetch(`${url}/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);

    const wrong = await fetch(`${url}/queues/api/queues`, {
      headers: { authorization: basic({ ...CREDENTIALS, password: 'wrong' }) },
    });
    expect(wrong.status).toBe(401);

    const right = await fetch(`${url}/queues/api/queues`, {
      headers: { authorization: basic(CREDENTIALS) },
    });
    expect(right.status).toBe(200);
  });

  it('lists the queues, shows a failed job, and retrying it in the UI runs it to completion', async () => {
    const reports = taskQueues.get('reports');
    const job = await reports.enqueue('build_report', { account: 'acme', card: SECRET_CARD });
    await eventually(
      async () => ((await reports.getJob(job.id))?.status === 'failed' ? true : undefined),
      15_000,
      `job ${job.id} to fail`,
    );
    upstream.healthy = true;

    const context = await browser.newContext({ httpCredentials: CREDENTIALS });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    mkdirSync(SCREENSHOTS, { recursive: true });
    try {
      await page.goto(`${url}/queues`);
      await page.getByRole('link', { name: 'reports' }).first().waitFor();
      await page.getByRole('link', { name: 'default' }).first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });

      await page.goto(`${url}/queues/queue/reports?status=failed`);
      await page.getByText('Upstream down').first().waitFor();
      await page.getByText(`#${job.id}`).first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}failed-job.png`, fullPage: true });

      // The job card's actions are icon buttons, named only by the tooltip shown on hover.
      const retry = page
        .locator('button:has(svg.lucide-refresh-cw)')
        .filter({ hasNotText: 'Retry all' });
      await retry.hover();
      await page.getByText('Retry', { exact: true }).waitFor();
      await retry.click();
      const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
      await dialog.getByText('Are you sure that you want to retry this job?').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}confirm-retry.png`, fullPage: true });
      await dialog.getByRole('button', { name: 'Confirm' }).click();

      const done = await eventually(
        async () => {
          const info = await reports.getJob(job.id);
          return info?.status === 'complete' ? info : undefined;
        },
        15_000,
        `job ${job.id} to complete after the retry`,
      );
      expect(done).toMatchObject({ status: 'complete', result: { built: 'acme' }, attempts: 2 });

      await page.goto(`${url}/queues/queue/reports?status=completed`);
      await page.getByText(`#${job.id}`).first().waitFor();
      // The completed card opens on its data: masked, while the job itself kept the card number.
      await page.getByText('"[masked]"').first().waitFor();
      expect(await page.content()).not.toContain(SECRET_CARD);
      await page.screenshot({ path: `${SCREENSHOTS}completed-job.png`, fullPage: true });
    } catch (error) {
      await page.screenshot({ path: `${SCREENSHOTS}on-failure.png`, fullPage: true });
      console.log(`Dashboard test failed at ${page.url()}:\n${await page.innerText('body')}`);
      throw error;
    } finally {
      await context.close();
    }
  }, 90_000);
  it('with masked payloads, refuses to write the mask back as a payload (edit, add, duplicate)', async () => {
    const reports = taskQueues.get('reports');
    const job = await reports.enqueue('build_report', { account: 'globex', card: SECRET_CARD });
    const bullQueue = backend.queue('reports');
    const total = async () => Object.values(await bullQueue.getJobCounts()).reduce((a, b) => a + b);
    const jobsBefore = await total();
    const headers = { authorization: basic(CREDENTIALS), 'content-type': 'application/json' };
    const edit = await fetch(`${url}/queues/api/queues/reports/${job.id}/update-data`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ jobData: '[masked]' }),
    });
    expect(edit.status).toBe(403);
    expect(((await edit.json()) as { message: string }).message).toMatch(/masked/);
    const add = await fetch(`${url}/queues/api/queues/reports/add`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'build_report', data: '[masked]', options: {} }),
    });
    expect(add.status).toBe(403);

    expect((await bullQueue.getJob(job.id))?.data).toEqual({
      account: 'globex',
      card: SECRET_CARD,
    });
    expect(await total()).toBe(jobsBefore);
  });
});

// Whether the board is mounted depends on its options, not on the backend: these tests run on Redis
// only (the browser test above, which goes through the backend's queues, runs on every backend).
describeOn(['redis'], 'dashboard protection: mounted only when protected or loopback-bound', () => {
  // These applications enqueue nothing and share one namespace, each closed after its test. The
  // browser test's application, whose jobs these workers must not take, keeps its own.
  const shared = testBackend('dashboard_protection');
  const opened: INestApplication[] = [];
  const start = async (options: TaskQueueDashboardOptions, host?: string) => {
    const started = await startOne(options, host, [], shared);
    opened.push(started.app);
    return started;
  };
  afterEach(() => Promise.all(opened.splice(0).map((app) => app.close())));

  it('without auth or middleware it is not mounted, and one log line says how to enable it', async () => {
    const { url, logs } = await start({ path: '/ops/queues' });
    expect((await fetch(`${url}/ops/queues`)).status).toBe(404);
    expect((await fetch(`${url}/ops/queues/api/queues`)).status).toBe(404);
    const lines = logs.filter((line) => line.startsWith('Dashboard'));
    expect(lines).toEqual([expect.stringContaining('Dashboard not mounted at /ops/queues')]);
    expect(lines[0]).toMatch(/auth: \{ username, password \}.*allowUnauthenticatedOnLoopback/);
  });

  it('allowUnauthenticatedOnLoopback serves it without credentials on 127.0.0.1', async () => {
    const { url, logs } = await start({ allowUnauthenticatedOnLoopback: true });
    const response = await fetch(`${url}/queues/api/queues`);
    expect(response.status).toBe(200);
    const { queues } = (await response.json()) as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(['default', 'reports']);
    expect(logs).toContainEqual(expect.stringMatching(/without authentication.*127\.0\.0\.1/));
  });

  it('allowUnauthenticatedOnLoopback does not serve it on a server bound to every address', async () => {
    const { url, logs } = await start({ allowUnauthenticatedOnLoopback: true }, '0.0.0.0');
    expect((await fetch(`${url}/queues`)).status).toBe(404);
    expect((await fetch(`${url}/queues/api/queues`)).status).toBe(404);
    expect(logs).toContainEqual(
      expect.stringMatching(/not served at \/queues.*bound to 0\.0\.0\.0/),
    );
  });

  it("runs the user's own middleware before every request of the dashboard", async () => {
    const requireToken: RequestHandler = (req, res, next) => {
      if (req.headers['x-ops-token'] === 'let-me-in') return next();
      res.status(403).send('Forbidden');
    };
    const { url } = await start({ middleware: requireToken }, '0.0.0.0');
    expect((await fetch(`${url}/queues/api/queues`)).status).toBe(403);
    const allowed = await fetch(`${url}/queues/api/queues`, {
      headers: { 'x-ops-token': 'let-me-in' },
    });
    expect(allowed.status).toBe(200);
  });

  it('readOnly shows the queues but refuses to change them', async () => {
    const { url } = await start({ allowUnauthenticatedOnLoopback: true, readOnly: true });
    expect((await fetch(`${url}/queues/api/queues`)).status).toBe(200);
    const retryAll = await fetch(`${url}/queues/api/queues/default/retry/failed`, {
      method: 'PUT',
    });
    expect(retryAll.status).toBe(405);
    const pause = await fetch(`${url}/queues/api/queues/default/pause`, { method: 'PUT' });
    expect(pause.status).toBe(405);
  });

  it('refuses empty credentials at bootstrap rather than serving an open dashboard', async () => {
    await expect(start({ auth: { username: 'ops', password: '' } })).rejects.toThrow(
      "option 'auth' needs a non-empty username and password",
    );
  });
});

// The example boots its own database with its migrations: on a loaded machine that alone can take
// most of Jest's default 30 s.
const EXAMPLE_BOOT_MS = 180_000;

// What the example's configuration does with the board, whatever its backend: on Redis only.
describeOn(['redis'], "the example app's dashboard", () => {
  /** Boots the example's AppModule with `env` set for its configuration, on 127.0.0.1. */
  async function startExample(env: Record<string, string>): Promise<string> {
    const app = await startTaskApp({
      backend: testBackend('dashboard_example'),
      imports: [AppModule],
      options: 'from-env',
      env,
      listen: '127.0.0.1',
    });
    return app.getUrl();
  }

  it(
    'is open for local development by default, since the example binds 127.0.0.1',
    async () => {
      const url = await startExample({});
      const response = await fetch(`${url}/queues/api/queues`);
      expect(response.status).toBe(200);
      const { queues } = (await response.json()) as { queues: { name: string }[] };
      expect(queues.map((queue) => queue.name)).toContain('default');
    },
    EXAMPLE_BOOT_MS,
  );

  it(
    'asks for DASHBOARD_USER / DASHBOARD_PASSWORD once they are set',
    async () => {
      const url = await startExample({ DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'hunter2' });
      expect((await fetch(`${url}/queues`)).status).toBe(401);
      const authorized = await fetch(`${url}/queues/api/queues`, {
        headers: { authorization: basic({ username: 'admin', password: 'hunter2' }) },
      });
      expect(authorized.status).toBe(200);
    },
    EXAMPLE_BOOT_MS,
  );
});
