/**
 * The PostgreSQL job queues a team would otherwise pick, as lanes of the pre-filled figure
 * (bench/prefilled.ts) on `--backend postgres`: pg-boss and graphile-worker, each with its
 * defaults and with the settings its documentation gives for throughput, each in a schema of
 * its own (the lane's `Place`), running the same no-op as the other lanes.
 */
import { readFileSync } from 'node:fs';
import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { PgBoss, type WorkOptions } from 'pg-boss';
import { TEST_DATABASE_URL } from '../test/support/postgres.js';
import type { Place } from './backends.js';
import { JOB_NAME, type Session } from './contenders.js';
import { failRunningLane } from './lane-failure.js';
import { probe } from './probe.js';

/** A library in one configuration: opened in a lane's namespace, with a worker if asked. */
export interface Library {
  /** Its key in the results JSON. */
  readonly id: string;
  /** Its name in the printed table: the library, its version and its settings. */
  readonly label: string;
  /**
   * Where an idle worker finds new jobs by polling (not woken by a NOTIFY), the interval in ms:
   * the latency samples are then sent at a random moment within it, as jobs arrive on an idle
   * worker, rather than just after the worker's last fetch.
   */
  readonly pollMs?: number;
  /** Opens it in `at`; with `concurrency`, also a worker that starts at once. */
  open(at: Place, concurrency?: number): Promise<Session>;
}

/** The installed version of an npm package, for the labels and the results' header. */
export function packageVersion(name: string): string {
  const manifest = readFileSync(`node_modules/${name}/package.json`, 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);

/** pg-boss's settings beside its defaults; `localConcurrency` is the lane's concurrency. */
interface PgBossSettings {
  work: Omit<WorkOptions, 'localConcurrency'>;
  /** `useListenNotify` on the instance and `notify` on the queue: woken by NOTIFY, not a poll. */
  listen: boolean;
}

/** pg-boss's default `pollingIntervalSeconds`. */
const PG_BOSS_POLL_SECONDS = 2;

function pgBoss(id: string, settings: string, { work, listen }: PgBossSettings): Library {
  return {
    id,
    label: `pg-boss ${packageVersion('pg-boss')} ${settings}`,
    pollMs: listen ? undefined : (work.pollingIntervalSeconds ?? PG_BOSS_POLL_SECONDS) * 1000,
    async open(at, concurrency) {
      const boss = new PgBoss({
        connectionString: TEST_DATABASE_URL,
        schema: at.prefix,
        useListenNotify: listen,
      });
      boss.on('error', failRunningLane);
      await boss.start();
      await boss.createQueue(at.queue, listen ? { notify: true } : {});
      if (concurrency !== undefined) {
        const options = { ...work, localConcurrency: concurrency };
        // A batch handler gets up to `batchSize` jobs at once: the no-op is run for each.
        await boss.work(at.queue, options, async (jobs) => {
          for (let k = 0; k < jobs.length; k++) probe.hit();
        });
      }
      return {
        add: (i) => boss.send(at.queue, { i }),
        addBulk: (from, count) =>
          boss.insert(
            at.queue,
            range(from, count).map((i) => ({ data: { i } })),
          ),
        close: () => boss.stop({ graceful: true, timeout: 30_000 }),
      };
    },
  };
}

/** No log line per job: the other lanes log nothing per job either. */
const silent = new Logger(() => () => undefined);

function graphileWorker(
  id: string,
  settings: string,
  worker: GraphileConfig.WorkerOptions,
): Library {
  return {
    id,
    label: `graphile-worker ${packageVersion('graphile-worker')} ${settings}`,
    async open(at, concurrency) {
      const shared = { connectionString: TEST_DATABASE_URL, schema: at.prefix, logger: silent };
      const utils = await makeWorkerUtils(shared);
      let runner: Runner | undefined;
      try {
        await utils.migrate();
        if (concurrency !== undefined) {
          runner = await run({
            ...shared,
            concurrency,
            noHandleSignals: true,
            // No crontab file to read.
            crontab: '',
            taskList: { [JOB_NAME]: async () => probe.hit() },
            preset: { worker },
          });
          runner.promise.catch(failRunningLane);
        }
      } catch (error) {
        await utils.release();
        throw error;
      }
      return {
        add: (i) => utils.addJob(JOB_NAME, { i }),
        addBulk: (from, count) =>
          utils.addJobs(range(from, count).map((i) => ({ identifier: JOB_NAME, payload: { i } }))),
        async close() {
          await runner?.stop();
          await utils.release();
        },
      };
    },
  };
}

/** The peers of `--backend postgres`, slowest first. */
export const peers = (): Library[] => [
  pgBoss('pgboss-defaults', 'defaults', { work: {}, listen: false }),
  graphileWorker('graphile-defaults', 'defaults', {}),
  // Polls at its shortest interval; fetches again at once while batches come back full.
  pgBoss('pgboss-batch', 'batchSize 100', {
    work: { batchSize: 100, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
    listen: false,
  }),
  pgBoss('pgboss-batch-notify', 'batchSize 100, LISTEN/NOTIFY', {
    work: { batchSize: 100, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
    listen: true,
  }),
  // Its documentation's batching: jobs claimed 500 at a time, completions batched.
  graphileWorker('graphile-local-queue', 'localQueue 500, completeJobBatchDelay 0', {
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
  }),
];
