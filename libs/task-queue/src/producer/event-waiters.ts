import { matchesSubset } from './payload-match.js';

/** @internal A job that waits for an event (`ctx.waitForEvent`), as the index of waiters keeps it. */
export interface EventWaiter {
  queue: string;
  jobId: string;
  /** The wait's key in the job's journal (`wait:<n>`): where the event's data goes. */
  key: string;
  /** The fields the event's data must have (a deep subset); none: any event of the name. */
  match?: object;
  /** When the wait began, in ms since the epoch: earlier events are not for it. */
  since: number;
}

/** @internal The field naming a waiter in its event's index: one per job and wait. */
export const waiterField = ({ queue, jobId, key }: EventWaiter): string =>
  `${queue}:${jobId}:${key}`;

/**
 * @internal The jobs waiting for events, indexed by event name (a send reads the waiters of its
 * name only, never the jobs of a queue), and how a waiting job is woken: the port a backend
 * implements (BullMQ in `backends/`, memory in `testing/`).
 */
export abstract class EventWaiters {
  /** Adds `waiter` to the index of event `name`. */
  abstract add(name: string, waiter: EventWaiter): Promise<void>;
  /**
   * Takes `waiter` out of the index of `name`: `true` for the one call that removed it (a send
   * that wakes it, or the wait's own timeout), `false` once another took it.
   */
  abstract take(name: string, waiter: EventWaiter): Promise<boolean>;
  /** The waiters of event `name`. */
  abstract list(name: string): Promise<EventWaiter[]>;
  /**
   * Stores `json` (the event's data) as the outcome of the waiter's wait in its job's journal,
   * then wakes the job to run now. `false` when the job is gone (its record is dropped).
   */
  abstract deliver(waiter: EventWaiter, json: string): Promise<boolean>;

  /**
   * Takes the waiters of the open `waits` (each a wait's journal key and its event) of job
   * `jobId` of `queue`, so that no event finds them: for a job that will not resume (aborted).
   */
  async drop(
    queue: string,
    jobId: string,
    waits: readonly { key: string; event: string }[],
  ): Promise<void> {
    await Promise.all(
      waits.map(({ event, key }) => this.take(event, { queue, jobId, key, since: 0 })),
    );
  }

  /**
   * Sends event `name`: each waiter of that name whose wait began by now and whose `match` the
   * data has is taken and woken, once. Events no one waits for are not kept.
   * @returns how many waiting jobs it woke.
   */
  async send(name: string, data: object): Promise<number> {
    const at = Date.now();
    const waiters = await this.list(name);
    const json = JSON.stringify(data);
    let woken = 0;
    await Promise.all(
      waiters
        .filter(({ since, match }) => since <= at && (!match || matchesSubset(data, match)))
        .map(async (waiter) => {
          if ((await this.take(name, waiter)) && (await this.deliver(waiter, json))) woken++;
        }),
    );
    return woken;
  }
}
