/**
 * A lane's failure ends the run with a message naming the figure, the lane and the round, and
 * the figures gathered until then are printed (bench/main.ts): no bench step fails as an
 * unhandled rejection.
 */

/** Where a bench step ran: the figure or section, the library's lane, the round (from 0). */
export interface LaneAt {
  figure: string;
  lane: string;
  round?: number;
  rounds?: number;
}

export class LaneFailure extends Error {
  override readonly name = 'LaneFailure';

  constructor(
    readonly at: LaneAt,
    cause: unknown,
  ) {
    const round = at.round === undefined ? '' : `, round ${at.round + 1}/${at.rounds ?? '?'}`;
    super(`${at.figure}: lane '${at.lane}'${round} failed: ${describe(cause)}`, { cause });
  }
}

const describe = (cause: unknown) =>
  cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);

/** Fails the lane running now; set while one runs. */
let failRunning: ((reason: unknown) => void) | undefined;
/** Rejections that reached no caller while no lane ran. */
const strays: unknown[] = [];

/**
 * Some libraries reject promises nobody can await: BullMQ's `Job.waitUntilFinished` reads the
 * job inside an async Promise executor, so a failed read ('Missing key for job …') reaches no
 * caller and would end the process as an unhandled rejection. While the bench runs, such a
 * rejection fails the lane that is running instead. Returns the listener's removal.
 */
export function catchStrayRejections(): () => void {
  const listener = (reason: unknown) => {
    if (failRunning) failRunning(reason);
    else strays.push(reason);
  };
  process.on('unhandledRejection', listener);
  return () => process.off('unhandledRejection', listener);
}

/** A library's error event (pg-boss's `error`): it fails the running lane, as a stray would. */
export function failRunningLane(reason: unknown): void {
  if (failRunning) failRunning(reason);
  else strays.push(reason);
}

/** The first rejection that came while no lane ran, if any: the run failed outside a lane. */
export function strayRejection(): unknown {
  return strays[0];
}

/**
 * Runs one step of one lane; its error, or a stray rejection meanwhile, becomes a
 * {@link LaneFailure} naming `at` (inside another lane's step, the outer one catches strays).
 */
export async function inLane<T>(at: LaneAt, step: () => Promise<T>): Promise<T> {
  const named = (error: unknown) =>
    error instanceof LaneFailure ? error : new LaneFailure(at, error);
  if (failRunning)
    return step().catch((error: unknown) => {
      throw named(error);
    });
  const failed = new Promise<never>((_, reject) => (failRunning = reject));
  try {
    return await Promise.race([step(), failed]);
  } catch (error) {
    throw named(error);
  } finally {
    failRunning = undefined;
  }
}
