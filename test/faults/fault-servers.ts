// The store under test in the backend-neutral fault scenarios (worker-scenarios.ts,
// outage-scenario.ts): a private redis-server, or a private PostgreSQL server with a private
// Redis next to it for the tasks' records, behind one interface.
import { Redis } from 'ioredis';
import pg from 'pg';
import { privatePostgres } from './postgres-server.js';
import { privateRedis, type PrivateRedis } from './support.js';

/** A private server of one scenario, and where the fault tasks record their runs. */
export interface FaultServer {
  /** The module's `connection` (and the worker processes' TASK_QUEUE_URL). */
  url: string;
  /** The Redis the fault tasks record their runs in (the workers' REDIS_URL). */
  recorderUrl: string;
  /**
   * Stops the server and waits until it has exited. `clean` keeps every acknowledged write
   * (Redis: SIGTERM, append-only file flushed; PostgreSQL: fast shutdown, sessions cut and a
   * checkpoint written); `outage`: the server is gone at once (Redis: SIGKILL; PostgreSQL: fast
   * shutdown, which refuses new connections at once).
   */
  stop(how: 'clean' | 'outage'): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers. */
  start(): Promise<void>;
  /**
   * The process ids (the fault task's result) of the jobs of queue `queue` in namespace
   * `prefix` that completed at or after `since` (ms since the epoch).
   */
  finishedBy(prefix: string, queue: string, since: number): Promise<number[]>;
  /** Stops it whatever its state and removes its files. */
  destroy(): Promise<void>;
}

/** What a backend brings to the shared fault scenarios. */
export interface FaultBackend {
  /** As the module's messages name it: 'Redis' or 'PostgreSQL'. */
  store: string;
  /** A private server; `durable`: one that keeps every acknowledged write over a restart. */
  server(durable: boolean): Promise<FaultServer>;
  /** How the restart scenario's clean stop is described in its report. */
  restartKind: string;
}

/** Scenarios on a private redis-server: the queues and the tasks' records in the same one. */
export const redisFaults: FaultBackend = {
  store: 'Redis',
  restartKind: 'appendonly, appendfsync always',
  async server(durable) {
    const redis = await privateRedis(
      durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [],
    );
    let reader: Redis | undefined;
    return {
      url: redis.url,
      recorderUrl: redis.url,
      stop: (how) => redis.stop(how === 'clean' ? 'SIGTERM' : 'SIGKILL'),
      start: () => redis.start(),
      async finishedBy(prefix, queue, since) {
        if (!reader) {
          reader = new Redis(redis.url, { maxRetriesPerRequest: null });
          reader.on('error', () => undefined);
        }
        // BullMQ's completed set is scored by finishedOn; the job's hash holds its result.
        const ids = await reader.zrangebyscore(`${prefix}:${queue}:completed`, since, '+inf');
        const values = await Promise.all(
          ids.map((id) => reader!.hget(`${prefix}:${queue}:${id}`, 'returnvalue')),
        );
        return values.flatMap((value) =>
          value ? [(JSON.parse(value) as { pid: number }).pid] : [],
        );
      },
      async destroy() {
        reader?.disconnect();
        await redis.destroy();
      },
    };
  },
};

/** Scenarios on a private PostgreSQL server; the tasks record their runs in a private Redis. */
export const postgresFaults: FaultBackend = {
  store: 'PostgreSQL',
  restartKind: 'fast shutdown',
  async server() {
    const postgres = await privatePostgres();
    let recorder: PrivateRedis;
    try {
      recorder = await privateRedis();
    } catch (error) {
      await postgres.destroy();
      throw error;
    }
    return {
      url: postgres.url,
      recorderUrl: recorder.url,
      // Both stops are PostgreSQL's fast shutdown: new connections are refused at once.
      stop: () => postgres.stop('fast'),
      start: () => postgres.start(),
      async finishedBy(schema, queue, since) {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ pid: string }>(
            `SELECT DISTINCT return_value->>'pid' AS pid FROM "${schema}".job
              WHERE queue = $1 AND state = 'completed' AND finished_at_ms >= $2`,
            [queue, since],
          );
          return rows.map((row) => Number(row.pid));
        } finally {
          await client.end();
        }
      },
      async destroy() {
        try {
          await recorder.destroy();
        } finally {
          // The whole cluster goes, schema and all.
          await postgres.destroy();
        }
      },
    };
  },
};
