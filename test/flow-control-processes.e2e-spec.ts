import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { TaskQueues } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { PAUSE_MAX } from '../libs/task-queue/src/backends/bullmq.queue-pause.js';
import { FLOW_QUEUES, FlowModule } from './fixtures/flow.tasks.js';
import { BACKEND, testBackend } from './support/backend.js';
import {
  highWaterMark,
  pidsOf,
  rateWindows,
  whenComplete,
  whenPauseLifted,
  whenRateLimited,
} from './support/flow.js';
import { spawnReplica, stopReplica } from './support/replicas.js';
import { eventually } from './support/redis.js';
import { startTaskApp } from './support/task-app.js';

/** What a run of the suite measured, printed at the end for the record. */
const measured: string[] = [];

describe(`flow control across three worker processes on ${BACKEND}`, () => {
  const backend = testBackend('flowx');
  let workers: ChildProcess[] = [];
  let api: TestingModule;

  beforeAll(async () => {
    api = await startTaskApp({
      backend,
      imports: [FlowModule],
      options: { queues: FLOW_QUEUES, defaultQueue: 'paused', worker: false },
    });
    // What a process that stopped during a ctx.rateLimit() pause leaves behind: the queue-wide
    // limit of the pause, the pause itself over. The first worker to start lifts it.
    await api.get(QueueBackend).queue('paused').setGlobalRateLimit(PAUSE_MAX, 1000);
    // Three OS processes, each running every flow queue at concurrency 10.
    workers = await Promise.all(
      [1, 2, 3].map(() =>
        spawnReplica('flow-worker.main', { ...backend.env, FLOW_CONCURRENCY: '10' }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopReplica(worker)));
    process.stdout.write(`flow control across processes on ${BACKEND}: ${measured.join('; ')}\n`);
  });

  it('lifts the queue-wide limit a process left behind when it stopped during a pause', async () => {
    // A queue-wide max would hold every worker of the queue to it and make each start count.
    const bullQueue = api.get(QueueBackend).queue('paused');
    await whenPauseLifted(bullQueue, 10_000);
  });

  it('starts no more than 10 jobs in any 1-second window with a limit of 10 per second', async () => {
    const queue = api.get(TaskQueues).get('limited');
    const jobs = await queue.enqueueMany(Array.from({ length: 30 }, () => ({ name: 'tick' })));
    const started = await whenComplete(api, jobs);
    const { most, spanMs } = rateWindows(
      started.map((job) => job.startedAt),
      1000,
    );
    measured.push(`rate limit 10/s: at most ${most} starts in any 900 ms of 30`);
    expect(most).toBeLessThanOrEqual(10);
    // Three windows of 10: the third starts two seconds after the first.
    expect(spanMs).toBeGreaterThanOrEqual(2000);
    expect(pidsOf(started).size).toBeGreaterThan(1);
  }, 30_000);

  it('never runs more than 2 jobs at once with a global concurrency of 2', async () => {
    const queue = api.get(TaskQueues).get('narrow');
    // A mark of 2 means something only if all three processes, with room for 10 each, were
    // serving the queue: they are counted first. Which process runs which job is not asserted:
    // a worker that finishes a job takes the next in the same call, so one process may keep
    // both slots throughout.
    await eventually(async () => ((await queue.stats()).workers >= 3 ? true : undefined));
    const jobs = await queue.enqueueMany(
      Array.from({ length: 24 }, () => ({ name: 'hold', payload: { ms: 150 } })),
    );
    const started = await whenComplete(api, jobs);
    const runs = started.map(({ info }) => info.result as { start: number; end: number });
    const mark = highWaterMark(runs);
    measured.push(`global concurrency 2: high-water mark ${mark} over 24 jobs`);
    expect(mark).toBe(2);
  }, 30_000);

  it('pauses a queue without a rate limit in every process on ctx.rateLimit(), then reruns the job without using a retry', async () => {
    const queue = api.get(TaskQueues).get('paused');
    const limited = await queue.enqueue('call_api', { pause: 2 });
    // The run paused the queue, then the job went back to it: the pause is on from here.
    const limitedAt = await whenRateLimited(queue, limited.id);
    const bullQueue = api.get(QueueBackend).queue('paused');
    expect(await bullQueue.getGlobalRateLimit()).toMatchObject({ max: PAUSE_MAX });
    const others = await queue.enqueueMany(
      Array.from({ length: 12 }, () => ({ name: 'stamp', payload: { ms: 200 } })),
    );
    const started = await whenComplete(api, [limited, ...others]);
    const first = Math.min(...started.map((job) => job.startedAt));
    measured.push(`ctx.rateLimit(2): first start ${first - limitedAt} ms after the call`);
    for (const job of started) expect(job.startedAt).toBeGreaterThanOrEqual(limitedAt + 2000);
    expect(pidsOf(started.slice(1)).size).toBeGreaterThan(1);
    const [rerun] = started;
    expect(rerun.info).toMatchObject({ status: 'complete', attempts: 2, error: null });
    // The second run is still the first attempt: the pause used up no retry (it has none).
    expect(rerun.info.result).toMatchObject({ attempt: 1 });
    // Lifted by the process that paused, once the pause is over.
    await whenPauseLifted(bullQueue, 5000);
  }, 30_000);
});
