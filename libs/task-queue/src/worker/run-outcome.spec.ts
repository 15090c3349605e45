import {
  NonRetryableError,
  TaskAbortedError,
  TaskRateLimitedError,
  TaskTimeoutError,
} from '../errors/index.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import { ABORTED_REASON, SHUTDOWN_REASON } from '../task-queue.constants.js';
import { finishedOutcome, runFailureOf } from './run-outcome.js';
import { RunSuspension } from '../durable/run-suspension.js';

const first = { attemptsMade: 0, attempts: 3 };
const last = { attemptsMade: 2, attempts: 3 };

describe('runFailureOf', () => {
  it('classifies a suspension as its own outcome, on its last attempt too: neither failed nor final', () => {
    const sleeping = runFailureOf(new RunSuspension('Task', 'sleeping', 5000), last, false);
    expect(sleeping).toMatchObject({ outcome: 'sleeping', final: false, resumeAt: 5000 });
    const waiting = runFailureOf(new RunSuspension('Task', 'waiting', 7000), first, false);
    expect(waiting).toMatchObject({ outcome: 'waiting', resumeAt: 7000 });
    expect(finishedOutcome('sleeping')).toBe('sleeping');
    expect(runFailureOf(new Error('boom'), first, false).resumeAt).toBeUndefined();
  });

  it('retries an error while attempts are left, and fails it on the last', () => {
    const error = new Error('boom');
    expect(runFailureOf(error, first, false)).toMatchObject({ outcome: 'retrying', error });
    expect(runFailureOf(error, last, false)).toMatchObject({ outcome: 'failed', error });
    expect(runFailureOf(error, first, false).final).toBe(false);
  });

  it('fails for good, attempts left or not, what refuses retries or was aborted', () => {
    const refused = runFailureOf(new NonRetryableError('no such account'), first, false);
    expect(refused).toMatchObject({ outcome: 'failed', final: true, reason: 'no such account' });
    const aborted = runFailureOf(new TaskAbortedError('stop'), first, false);
    expect(aborted).toMatchObject({ outcome: 'aborted', final: true, reason: ABORTED_REASON });
  });

  it("fails for good an error the backend ends the job on, the task's error kept", () => {
    const error = new Error('the backend will not retry this');
    const job = { ...first, failsForGood: (e: Error) => e === error };
    expect(runFailureOf(error, job, false)).toMatchObject({
      outcome: 'failed',
      final: true,
      error,
    });
    expect(runFailureOf(new Error('other'), job, false).outcome).toBe('retrying');
  });

  it('retries a timeout only where the task says so', () => {
    const timeout = new TaskTimeoutError('too slow');
    expect(runFailureOf(timeout, first, false)).toMatchObject({ outcome: 'failed', final: true });
    expect(runFailureOf(timeout, first, true)).toMatchObject({ outcome: 'retrying', final: false });
  });

  it('puts back, without using an attempt, a run ended by a shutdown or a rate limit', () => {
    const shutdown = runFailureOf(new WorkerShutdownError(SHUTDOWN_REASON), last, false);
    expect(shutdown.outcome).toBe('requeued');
    const limited = runFailureOf(new TaskRateLimitedError('wait', 5), last, false);
    expect(limited.outcome).toBe('rate-limited');
    expect(finishedOutcome(shutdown.outcome)).toBeUndefined();
    expect(finishedOutcome(limited.outcome)).toBeUndefined();
  });

  it('keeps the text of a throw that is not an Error', () => {
    const failure = runFailureOf('plain text', last, false);
    expect(failure.error).toBeInstanceOf(Error);
    expect(failure.reason).toContain('plain text');
  });

  it('logs a skipped tick as completed', () => {
    expect(finishedOutcome('skipped')).toBe('completed');
    expect(finishedOutcome('completed')).toBe('completed');
  });
});
