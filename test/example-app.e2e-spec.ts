// The example application as a user runs it: its HTTP API and workers in one Nest app, against
// the real Redis, with a key prefix of its own.
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { AppModule } from '../src/app.module.js';
import { testBackend } from './support/backend.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

// process_data's three hashing steps over user 42: the task computes it, deterministically.
const CHECKSUM_OF_42 = '78df6d3568f7';
let app: INestApplication;
let baseUrl: string;

async function request(method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Polls `GET /jobs/:queue/:id` until the job has finished. */
function finished(queue: string, id: string) {
  return eventually(
    async () => {
      const { body } = await request('GET', `/jobs/${queue}/${id}`);
      return body.status === 'complete' || body.status === 'failed' ? body : undefined;
    },
    15_000,
    `job ${id} to finish`,
  );
}

beforeAll(async () => {
  app = await startTaskApp({
    backend: testBackend('example'),
    imports: [AppModule],
    options: 'from-env',
    logger: new ConsoleLogger({ logLevels: ['error', 'warn'] }),
    listen: '127.0.0.1',
  });
  baseUrl = await app.getUrl();
});

describe('the example app', () => {
  it('POST /process enqueues process_data; GET /jobs/default/:id shows it complete', async () => {
    const accepted = await request('POST', '/process', { userId: 42 });
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId as string;
    expect(Object.keys(accepted.body)).toEqual(['jobId']);
    expect(typeof jobId).toBe('string');

    expect(await finished('default', jobId)).toEqual({
      id: jobId,
      name: 'process_data',
      queue: 'default',
      status: 'complete',
      result: { processed: 42, steps: 3, checksum: CHECKSUM_OF_42 },
      error: null,
      attempts: 1,
      progress: 100,
      failedAttempts: [],
      steps: [],
    });
  });

  it('runs the follow-up pattern: enqueue_follow_up puts send_email on the same queue', async () => {
    const { body } = await request('POST', '/users/7/follow-up');
    const followUp = await finished('default', body.jobId as string);
    const { followUpJobId } = followUp.result as { followUpJobId: string };
    expect(followUp.result).toEqual({ enqueued: true, followUpJobId });
    expect(typeof followUpJobId).toBe('string');

    const email = await finished('default', followUpJobId);
    expect(email).toMatchObject({
      name: 'send_email',
      status: 'complete',
      result: { sent: true, to: 'user7@example.com', subject: 'How are you getting on?' },
    });
  });

  it('POST /users signs up on Redis too: the user commits, then its onboarding is enqueued', async () => {
    // No DATABASE_URL here, so no outbox: the two writes cannot commit together, and the answer
    // says why (test/example-database.e2e-spec.ts has the transaction, with the outbox too).
    const signup = await request('POST', '/users', { email: 'ada@example.com' });
    expect(signup).toMatchObject({
      status: 201,
      body: {
        transactional: false,
        note: expect.stringMatching(
          /on Redis.*no PostgreSQL \(DATABASE_URL\) for an outbox/,
        ) as unknown,
      },
    });
    // The welcome email sent, the onboarding waits for the user to confirm (3 days by default).
    const jobId = signup.body.jobId as string;
    const onboarding = await eventually(
      async () => {
        const { body } = await request('GET', `/jobs/default/${jobId}`);
        return body.status === 'scheduled' ? body : undefined;
      },
      15_000,
      `onboarding ${jobId} to wait for the confirmation`,
    );
    expect(onboarding).toMatchObject({
      name: 'onboard_user',
      steps: [{ id: 'welcome' }],
    });
    expect((await request('POST', '/users', { email: 'no at sign' })).status).toBe(400);
    expect((await request('POST', '/users?fail=later', { email: 'x@example.com' })).status).toBe(
      400,
    );
  });

  it("runs a scheduled task on demand with its schedule's default kwargs, or the caller's", async () => {
    const byDefault = await request('POST', '/payments/batch');
    const explicit = await request('POST', '/payments/batch?batchSize=5');
    expect(await finished('default', byDefault.body.jobId as string)).toMatchObject({
      name: 'batch_process',
      result: { processed: 100 },
    });
    expect(await finished('default', explicit.body.jobId as string)).toMatchObject({
      result: { processed: 5 },
    });
  });

  it('answers 404 with a clear message for a job id the queue never had', async () => {
    const { status, body } = await request('GET', '/jobs/default/no-such-job');
    expect(status).toBe(404);
    expect(body.message).toBe(
      "No job 'no-such-job' on queue 'default': it was never enqueued there, or retention removed it.",
    );
  });

  it("answers 404 with the library's message for an unknown queue", async () => {
    const { status, body } = await request('GET', '/jobs/nope/1');
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'UnknownQueueError' });
    expect(body.message).toContain("Unknown queue 'nope'. Configured queues: 'default', 'emails'.");
  });

  it.each([
    ['no userId', {}],
    ['a string userId', { userId: '42' }],
    ['a fractional userId', { userId: 1.5 }],
    ['a JSON array', [42]],
    ['malformed JSON', '{"userId":'],
  ])('answers 400 to a bad body (%s)', async (_label, body) => {
    const response = await request('POST', '/process', body);
    expect(response.status).toBe(400);
    expect(typeof response.body.message).toBe('string');
  });
});
