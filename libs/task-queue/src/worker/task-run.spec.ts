import { TaskAbortedError, TaskTimeoutError } from '../errors/index.js';
import type { TaskContext } from '../interfaces/task-context.interface.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { TaskRun, type RunJob } from './task-run.js';
import { ABORTED_REASON, SHUTDOWN_REASON } from '../task-queue.constants.js';
import type { TaskQueue } from '../producer/task-queue.js';

const never = () => new Promise<never>(() => undefined);

/** A run that ended is out of the process's list of deadlines: no deadline, no neighbours. */
function expectOutOfDeadlines(run: TaskRun): void {
  expect(run.deadline).toBe(Infinity);
  expect(run.prevTimed).toBeUndefined();
  expect(run.nextTimed).toBeUndefined();
}

function makeRun(warnings: string[] = [], progress: unknown[] = []): TaskRun {
  const job: RunJob = {
    id: '1',
    name: 'demo',
    attemptsMade: 2,
    updateProgress: async (value) => {
      progress.push(value);
    },
  };
  const queue = { name: 'default' } as TaskQueue;
  return new TaskRun(job, queue, { userId: 7 }, { warn: (message) => warnings.push(message) });
}

describe('TaskRun', () => {
  it('settles with what the body returns or throws', async () => {
    await expect(makeRun().execute(async () => 42, 1000)).resolves.toBe(42);
    await expect(makeRun().execute(() => Promise.reject(new Error('boom')), 0)).rejects.toThrow(
      'boom',
    );
    const throwsAtOnce = () => {
      throw new Error('sync boom');
    };
    await expect(makeRun().execute(throwsAtOnce, 0)).rejects.toThrow('sync boom');
    await expect(makeRun().execute(() => 'not async', 0)).resolves.toBe('not async');
  });

  it('gives the body its job, payload and progress through ctx', async () => {
    const progress: unknown[] = [];
    const run = makeRun([], progress);
    const seen = await run.execute(async (ctx: TaskContext, payload) => {
      await ctx.progress(50);
      return { job: ctx.job, payload, queue: ctx.queue.name };
    }, 0);
    expect(seen).toEqual({
      job: { id: '1', name: 'demo', queue: 'default', attempt: 3, payload: { userId: 7 } },
      payload: { userId: 7 },
      queue: 'default',
    });
    expect(progress).toEqual([50]);
  });

  it('ends at the timeout, and a signal read afterwards is already aborted with its reason', async () => {
    let ctx: TaskContext | undefined;
    const run = makeRun();
    const error: unknown = await run
      .execute((c) => ((ctx = c), never()), 20)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as Error).message).toContain("Task 'demo' (job 1) timed out after 0.02 s");
    expect(ctx!.signal.aborted).toBe(true);
    expect(ctx!.signal.reason).toBe(error);
  });

  it('aborts a signal the body listens on when the run is cancelled, with a typed reason', async () => {
    const seen: unknown[] = [];
    const run = makeRun();
    const result = run.execute((ctx) => {
      ctx.signal.addEventListener('abort', () => seen.push(ctx.signal.reason));
      return never();
    }, 0);
    run.cancel(ABORTED_REASON);
    await expect(result).rejects.toBeInstanceOf(TaskAbortedError);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TaskAbortedError);

    const shutdown = makeRun();
    const cut = shutdown.execute(() => never(), 0);
    shutdown.cancel(SHUTDOWN_REASON);
    await expect(cut).rejects.toBeInstanceOf(WorkerShutdownError);
  });

  it('never starts a body whose run was cancelled before it began', async () => {
    const run = makeRun();
    run.cancel(ABORTED_REASON);
    let started = false;
    const result = run.execute(async () => {
      started = true;
    }, 0);
    await expect(result).rejects.toBeInstanceOf(TaskAbortedError);
    expect(started).toBe(false);
  });

  it('reports a body that fails after its run ended, and ignores a cancel after it settled', async () => {
    const warnings: string[] = [];
    let failBody!: (error: Error) => void;
    const run = makeRun(warnings);
    const result = run.execute(() => new Promise<never>((_, reject) => (failBody = reject)), 0);
    run.cancel(ABORTED_REASON);
    await expect(result).rejects.toBeInstanceOf(TaskAbortedError);
    failBody(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([
      "Task 'demo' (job 1) rejected after its run had already ended (timeout or abort): too late",
    ]);

    const done = makeRun();
    const ok = done.execute(async () => 'ok', 0);
    await expect(ok).resolves.toBe('ok');
    done.cancel(ABORTED_REASON);
    await expect(ok).resolves.toBe('ok');
  });

  it('does not report a body that stops by rethrowing its signal’s reason', async () => {
    const warnings: string[] = [];
    const run = makeRun(warnings);
    const result = run.execute(
      (ctx) =>
        new Promise<never>((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
        ),
      0,
    );
    run.cancel(ABORTED_REASON);
    await expect(result).rejects.toBeInstanceOf(TaskAbortedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([]);
  });

  it('times out runs going on together each at its own deadline, the shorter one first', async () => {
    const started = performance.now();
    const endedAt = (result: Promise<unknown>) =>
      result.then(
        () => Infinity,
        (error: unknown) => (expect(error).toBeInstanceOf(TaskTimeoutError), performance.now()),
      );
    const runs = [makeRun(), makeRun(), makeRun()];
    const long = endedAt(runs[0].execute(() => never(), 400));
    // Settles first, between the other two in the list of deadlines.
    const finishes = runs[1].execute(async () => 'done', 100);
    // Starts later with an earlier deadline: the shared timer must be brought forward for it.
    const short = endedAt(runs[2].execute(() => never(), 40));
    await expect(finishes).resolves.toBe('done');
    const [shortAt, longAt] = await Promise.all([short, long]);
    expect(shortAt - started).toBeGreaterThanOrEqual(39);
    expect(shortAt - started).toBeLessThan(300);
    expect(longAt - started).toBeGreaterThanOrEqual(399);
    for (const run of runs) expectOutOfDeadlines(run);
  });

  it('keeps a timeout longer than a timer can wait (24.8 days) from firing early', async () => {
    const run = makeRun();
    let outcome = 'pending';
    const result = run.execute(() => never(), 30 * 24 * 3600 * 1000);
    result.catch((error: unknown) => (outcome = (error as Error).name));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcome).toBe('pending');
    run.cancel(ABORTED_REASON);
    await expect(result).rejects.toBeInstanceOf(TaskAbortedError);
    expectOutOfDeadlines(run);
  });
});
