import { TaskWaitTimeoutError } from '../errors/index.js';
import { waitTimedOut, type WorkerHint } from './wait-timeout.js';

const redis: WorkerHint = { namespace: "`prefix` ('bull')", embedded: false, runsHere: false };

describe('waitTimedOut', () => {
  it('still says what it knows when the workers could not be counted', () => {
    const error = waitTimedOut('send_email', '12', 5, 'apply', {
      queue: 'emails',
      status: 'queued',
      hint: redis,
    });
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(error).toMatchObject({ jobId: '12', workers: undefined, status: 'queued' });
    expect(error.message).toBe(
      "Task 'send_email' (job 12 on queue 'emails') did not finish within 5 s; it is still " +
        "queued. Wait longer with apply(..., { timeout }) or read it later with getJob('12').",
    );
  });

  it('leaves the status out when it was not read, or the job has finished since', () => {
    for (const status of [undefined, 'complete', 'failed'] as const) {
      const error = waitTimedOut('resize', '7', 60, 'map', {
        queue: 'images',
        workers: 3,
        status,
        hint: redis,
      });
      expect(error.status).toBeUndefined();
      expect(error.message).toBe(
        "Task 'resize' (job 7 on queue 'images') did not finish within 60 s; the job is still " +
          "queued or running (3 workers serve queue 'images'). Wait longer with " +
          "map(..., { timeout }) or read it later with getJob('7').",
      );
    }
  });

  it('tells a job waiting for its delay or a retry', () => {
    const error = waitTimedOut('sync', '3', 2, 'apply', {
      queue: 'default',
      workers: 1,
      status: 'scheduled',
      hint: redis,
    });
    expect(error.message).toMatch(
      /^Task 'sync' \(job 3 on queue 'default'\) is still scheduled after 2 s \(delayed, or waiting to retry\); 1 worker serves queue 'default'\./,
    );
  });

  it('with no worker, says where workers should run, by backend and by this process', () => {
    const fix = (hint: WorkerHint) =>
      waitTimedOut('x', '1', 1, 'apply', { queue: 'q', workers: 0, status: 'queued', hint })
        .message;
    expect(fix({ ...redis, runsHere: true })).toMatch(
      /same `prefix` \('bull'\)\. This process is set to run one: it may still be starting, or cannot reach the backend\./,
    );
    expect(fix({ namespace: "`prefix` (schema 's')", embedded: true, runsHere: true })).toMatch(
      /This process is set to run its workers, but none is running \(starting, or closing\)\./,
    );
  });
});
