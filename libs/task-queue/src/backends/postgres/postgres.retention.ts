import type { Logger } from '@nestjs/common';
import type { Job, PgPool, Processor } from 'bullmq';
import type { BackendOutage } from '../backend-outage.js';
import { connectionLost } from './namespaced.connection.js';
import { takeRetention, type JobLimit } from './postgres.finish-options.js';
import type { PostgresSchema } from './postgres.schema.js';
import { assertSweepable, sweepFinished, type FinishedLimit } from './postgres.retention-sql.js';

/** Least time between two sweeps of a queue by one process, in ms. */
const SWEEP_GAP_MS = 200;

/** Most jobs one sweep statement deletes; a sweep runs statements until one deletes fewer. */
const SWEEP_BATCH = 500;

type Outcome = 'completed' | 'failed';

/** A queue's retention as this process knows it, and its sweep. */
interface QueueSweep {
  /** Per outcome: the most generous limit of the jobs run here; `'all'` once one keeps all. */
  limits: Record<Outcome, FinishedLimit | 'all' | undefined>;
  running?: Promise<void>;
  timer?: NodeJS.Timeout;
  /** A job finished while the sweep ran: sweep again after it. */
  again: boolean;
  lastEnd: number;
}

/**
 * @internal Retention of finished jobs on PostgreSQL, applied by a sweep per queue in the
 * worker processes instead of BullMQ's trim inside each completion: that trim re-reads every
 * kept job at each completion, and concurrent trims deadlock on the rows they delete (the
 * loser fails its job after the handler ran). A job's retention is taken from it as it starts
 * ({@link takeRetention}); a sweep follows finished jobs, at most one per {@link SWEEP_GAP_MS}
 * per queue and process, and one at a time per queue across processes.
 */
export class PostgresRetention {
  private readonly queues = new Map<string, QueueSweep>();
  private usable?: Promise<boolean>;
  private closed = false;

  constructor(
    private readonly pool: PgPool,
    private readonly schema: Pick<PostgresSchema, 'whenReady'>,
    private readonly logger: Logger,
    private readonly outage: Pick<BackendOutage, 'failed' | 'ongoing'>,
  ) {}

  /** `processor`, with the retention of the jobs it runs left to the sweep. */
  wrap(name: string, processor: Processor): Processor {
    return async (job: Job, token?: string, signal?: AbortSignal) => {
      if (await this.sweeps()) this.note(name, takeRetention(job));
      return processor(job, token, signal) as Promise<unknown>;
    };
  }

  /** A job of queue `name` finished in this process: its queue gets swept soon. */
  finished(name: string): void {
    const sweep = this.queues.get(name);
    if (!sweep || this.closed) return;
    if (sweep.running) sweep.again = true;
    else if (!sweep.timer) {
      const wait = Math.max(0, sweep.lastEnd + SWEEP_GAP_MS - Date.now());
      // A sweep owed is no reason to keep a process alive (close runs it anyway).
      sweep.timer = setTimeout(() => void this.run(name, sweep), wait).unref();
    }
  }

  /** Runs the sweeps owed now, once, and stops sweeping. */
  async close(): Promise<void> {
    const owed = [...this.queues].map(([name, sweep]) =>
      sweep.timer || sweep.again ? this.run(name, sweep) : (sweep.running ?? Promise.resolve()),
    );
    this.closed = true;
    await Promise.all(owed);
  }

  /** Whether this schema can be swept; checked once. A schema it refuses keeps BullMQ's trim. */
  private sweeps(): Promise<boolean> {
    this.usable ??= this.schema
      .whenReady()
      .then(async (schema) => {
        await assertSweepable(this.pool, schema);
        return true;
      })
      .catch((error: Error) => {
        this.logger.warn(error.message);
        return false;
      });
    return this.usable;
  }

  private note(name: string, limits: Record<Outcome, JobLimit>): QueueSweep {
    let sweep = this.queues.get(name);
    if (!sweep) {
      sweep = {
        limits: { completed: undefined, failed: undefined },
        again: false,
        lastEnd: 0,
      };
      this.queues.set(name, sweep);
    }
    for (const outcome of ['completed', 'failed'] as const) {
      sweep.limits[outcome] = widest(sweep.limits[outcome], limits[outcome]);
    }
    return sweep;
  }

  private run(name: string, sweep: QueueSweep): Promise<void> {
    clearTimeout(sweep.timer);
    sweep.timer = undefined;
    if (sweep.running) return sweep.running;
    sweep.again = false;
    const running = this.sweep(name, sweep)
      .catch((error: Error) => {
        // A server gone is the outage's to report (one line for all connections), not a line
        // per sweep; a later sweep takes what this one could not.
        if (connectionLost(error) || this.outage.ongoing) {
          this.outage.failed('PostgreSQL retention sweep', error);
        } else {
          this.logger.warn(`Retention of queue '${name}': sweep failed: ${error.message}`);
        }
      })
      .finally(() => {
        sweep.running = undefined;
        sweep.lastEnd = Date.now();
        if (sweep.again) this.finished(name);
      });
    sweep.running = running;
    return running;
  }

  private async sweep(name: string, sweep: QueueSweep): Promise<void> {
    const schema = await this.schema.whenReady();
    for (const outcome of ['completed', 'failed'] as const) {
      const limit = sweep.limits[outcome];
      if (limit === undefined || limit === 'all') continue;
      for (;;) {
        const { held, removed, due } = await sweepFinished(
          this.pool,
          schema,
          name,
          outcome,
          limit,
          SWEEP_BATCH,
        );
        // Another process is sweeping this queue, or a job was held by another transaction:
        // what this sweep could not take, a later one does.
        if (!held || due > removed) sweep.again = true;
        if (!held || removed < SWEEP_BATCH || this.closed) break;
      }
    }
  }
}

/**
 * The more generous of two limits (what either keeps is kept): a queue whose tasks keep
 * different numbers keeps the largest, as long as the longest.
 */
function widest(
  known: FinishedLimit | 'all' | undefined,
  next: JobLimit,
): FinishedLimit | 'all' | undefined {
  if (next === 'none') return known;
  if (next === undefined || known === 'all') return 'all';
  if (known === undefined) return next;
  return {
    count:
      known.count === undefined || next.count === undefined
        ? undefined
        : Math.max(known.count, next.count),
    age:
      known.age === undefined || next.age === undefined ? undefined : Math.max(known.age, next.age),
  };
}
