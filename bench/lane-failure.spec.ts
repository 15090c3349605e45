import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { catchStrayRejections, failRunningLane, inLane, LaneFailure } from './lane-failure.js';

const at = { figure: 'process-c10', lane: 'pg-boss defaults', round: 1, rounds: 3 };
const never = () => new Promise<never>(() => undefined);

describe('a lane that fails', () => {
  let stopCatching: () => void;
  beforeEach(() => {
    stopCatching = catchStrayRejections();
  });
  afterEach(() => stopCatching());

  it("names the figure, the lane and the round in the step's error", async () => {
    const failed = inLane(at, () => Promise.reject(new Error('connection refused')));
    await expect(failed).rejects.toThrow(LaneFailure);
    await expect(failed).rejects.toThrow(
      "process-c10: lane 'pg-boss defaults', round 2/3 failed: Error: connection refused",
    );
  });

  // What the process's unhandledRejection listener does with a rejection nobody awaits (BullMQ's
  // waitUntilFinished makes one); Jest keeps real unhandled rejections to itself.
  it('fails on an error the library reports outside the step', async () => {
    const failed = inLane(at, async () => {
      setTimeout(() => failRunningLane(new Error('Missing key for job 2. isFinished')), 5);
      return never();
    });
    await expect(failed).rejects.toThrow(
      "process-c10: lane 'pg-boss defaults', round 2/3 failed: Error: Missing key for job 2. isFinished",
    );
  });

  it('keeps the inner lane in the message when lanes nest', async () => {
    const inner = {
      figure: 'flow',
      lane: 'BullMQ addBulk + waitUntilFinished',
      round: 0,
      rounds: 1,
    };
    const failed = inLane(at, () => inLane(inner, () => Promise.reject(new Error('boom'))));
    await expect(failed).rejects.toThrow(
      "flow: lane 'BullMQ addBulk + waitUntilFinished', round 1/1 failed: Error: boom",
    );
  });

  it('gives the result of a step that succeeds', async () => {
    await expect(inLane(at, async () => 42)).resolves.toBe(42);
  });
});
