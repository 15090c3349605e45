import { TaskAbortedError, TaskTimeoutError } from './errors/index.js';
import { runWithLimits, WorkerShutdownError, type RunLimits } from './task-execution.js';
import { ABORTED_REASON, SHUTDOWN_REASON } from './task-queue.constants.js';

const never = () => new Promise<never>(() => undefined);

function limits(overrides: Partial<RunLimits> = {}): RunLimits {
  return {
    timeoutMs: 0,
    label: "Task 'demo' (job 1)",
    onLateFailure: () => undefined,
    ...overrides,
  };
}

describe('runWithLimits', () => {
  it('settles with what the body returns or throws', async () => {
    await expect(runWithLimits(async () => 42, limits({ timeoutMs: 1000 })).result).resolves.toBe(
      42,
    );
    const failing = runWithLimits(async () => Promise.reject(new Error('boom')), limits());
    await expect(failing.result).rejects.toThrow('boom');
  });

  it('ends at the timeout, and a signal read afterwards is already aborted with its reason', async () => {
    let read: (() => AbortSignal) | undefined;
    const run = runWithLimits((signal) => ((read = signal), never()), limits({ timeoutMs: 20 }));
    const error: unknown = await run.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as Error).message).toContain("Task 'demo' (job 1)");
    const signal = read!();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(error);
  });

  it('aborts a signal the body listens on when the run is cancelled, with a typed reason', async () => {
    const seen: unknown[] = [];
    const run = runWithLimits((signal) => {
      signal().addEventListener('abort', () => seen.push(signal().reason));
      return never();
    }, limits());
    run.cancel(ABORTED_REASON);
    await expect(run.result).rejects.toBeInstanceOf(TaskAbortedError);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TaskAbortedError);

    const shutdown = runWithLimits(() => never(), limits());
    shutdown.cancel(SHUTDOWN_REASON);
    await expect(shutdown.result).rejects.toBeInstanceOf(WorkerShutdownError);
  });

  it('reports a body that fails after its run ended, and ignores a cancel after it settled', async () => {
    const late: unknown[] = [];
    let failBody!: (error: Error) => void;
    const run = runWithLimits(
      () => new Promise<never>((_, reject) => (failBody = reject)),
      limits({ onLateFailure: (error) => late.push(error) }),
    );
    run.cancel(ABORTED_REASON);
    await expect(run.result).rejects.toBeInstanceOf(TaskAbortedError);
    failBody(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(late).toEqual([new Error('too late')]);

    const done = runWithLimits(async () => 'ok', limits());
    await expect(done.result).resolves.toBe('ok');
    done.cancel(ABORTED_REASON);
    await expect(done.result).resolves.toBe('ok');
  });
});
