/**
 * The Redis outbox (`--only=outbox`, Redis): what a transactional enqueue costs against a plain
 * one. Two figures, in interleaved rounds, each round in namespaces (Redis prefix, outbox
 * schema) of its own:
 * - latency: from the enqueue call to the job's code starting, on an idle worker (concurrency 1),
 *   samples alternating between a plain `enqueue` and `BEGIN; enqueue(…, { transaction });
 *   COMMIT` on a node-postgres client (the job can start only after the COMMIT, which the
 *   sample includes), so the outbox's figure holds the COMMIT, its NOTIFY, the relay's batch
 *   and the add to Redis;
 * - relay throughput: 10 000 jobs committed in one transaction while a relaying application
 *   (its workers on another queue, so nothing runs the jobs) waits; from the COMMIT returning
 *   to all of them waiting in Redis. Against `enqueueMany` of the same 10 000 jobs, plain, timed
 *   from the call to its return.
 */
import { Test, type TestingModule } from '@nestjs/testing';
import pg from 'pg';
import { TaskQueues, type TaskQueue } from '@app/task-queue';
import { QueueBackend } from '../libs/task-queue/src/backends/queue-backend.js';
import { TEST_DATABASE_URL } from '../test/support/postgres.js';
import { dropPlace, place, type Place } from './backends.js';
import { JOB_NAME, pending, TaskQueueApp } from './contenders.js';
import { sampleLatency } from './probe.js';
import { percentile, spread, type Spread } from './stats.js';

export interface OutboxResult {
  latency: {
    samplesPerRound: number;
    /** ms, per round's p50 / p95 of each kind. */
    plainP50: Spread;
    plainP95: Spread;
    outboxP50: Spread;
    outboxP95: Spread;
    /** outbox p50 − plain p50, ms, per round. */
    addedP50: Spread;
  };
  relay: {
    jobs: number;
    /** jobs/s. */
    plain: Spread;
    outbox: Spread;
    /** outbox / plain, per round. */
    ratio: Spread;
  };
}

const IDLE_QUEUE = 'idle';

interface Lane {
  at: Place;
  schema: string;
  app: TestingModule;
  queue: TaskQueue;
}

/** An application on a fresh namespace with an outbox; `relayOnly`: its workers on another queue. */
async function openLane(label: string, relayOnly: boolean): Promise<Lane> {
  const at = place(label, 0);
  const schema = label.replace(/\W/g, '_');
  const outbox = { connection: TEST_DATABASE_URL, schema };
  const options = relayOnly
    ? { outbox, queues: [at.queue, IDLE_QUEUE], worker: { queues: [IDLE_QUEUE] } }
    : { outbox };
  const app = await Test.createTestingModule({ imports: [TaskQueueApp.with(at, 1, options)] })
    .setLogger({ log() {}, warn() {}, error() {} })
    .compile();
  await app.init();
  return { at, schema, app, queue: app.get(TaskQueues).get(at.queue) };
}

async function closeLane(lane: Lane, pool: pg.Pool): Promise<void> {
  await lane.app.close();
  await dropPlace(lane.at);
  await pool.query(`DROP SCHEMA IF EXISTS "${lane.schema}" CASCADE`);
}

/** Runs `work` in a transaction on a client of `pool`, committed. */
async function committed<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } finally {
    client.release();
  }
}

async function latencyRound(pool: pg.Pool, label: string, samples: number) {
  const lane = await openLane(label, false);
  try {
    const plain: number[] = [];
    const outbox: number[] = [];
    let i = 0;
    const enqueue = (transaction?: pg.PoolClient) =>
      lane.queue.enqueue(JOB_NAME, { i: i++ }, transaction ? { transaction } : undefined);
    // A first of each, untimed: connections opened, the relay listening.
    await sampleLatency(() => enqueue());
    await sampleLatency(() => committed(pool, enqueue));
    for (let k = 0; k < samples; k++) {
      plain.push(await sampleLatency(() => enqueue()));
      outbox.push(await sampleLatency(() => committed(pool, enqueue)));
    }
    return {
      plainP50: percentile(plain, 50),
      plainP95: percentile(plain, 95),
      outboxP50: percentile(outbox, 50),
      outboxP95: percentile(outbox, 95),
    };
  } finally {
    await closeLane(lane, pool);
  }
}

async function relayRound(pool: pg.Pool, label: string, jobs: number) {
  const items = Array.from({ length: jobs }, (_, i) => ({ name: JOB_NAME, payload: { i } }));
  const plainLane = await openLane(`${label}-plain`, true);
  const outboxLane = await openLane(`${label}-outbox`, true);
  try {
    const start = performance.now();
    await plainLane.queue.enqueueMany(items);
    const plainMs = performance.now() - start;

    const bull = outboxLane.app.get(QueueBackend).queue(outboxLane.at.queue);
    await committed(pool, (client) => outboxLane.queue.enqueueMany(items, { transaction: client }));
    const committedAt = performance.now();
    const deadline = committedAt + 120_000;
    while ((await pending(bull)) < jobs) {
      if (performance.now() > deadline) throw new Error('Outbox relay: 10 000 jobs not in Redis');
      await new Promise((done) => setTimeout(done, 5));
    }
    const outboxMs = performance.now() - committedAt;
    return { plain: (jobs / plainMs) * 1000, outbox: (jobs / outboxMs) * 1000 };
  } finally {
    await closeLane(plainLane, pool);
    await closeLane(outboxLane, pool);
  }
}

export async function measureOutbox(
  runId: string,
  rounds: number,
  quick: boolean,
): Promise<OutboxResult> {
  const [samples, jobs] = quick ? [40, 10_000] : [150, 10_000];
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  try {
    const latency = [];
    const relay = [];
    for (let round = 0; round < rounds; round++) {
      latency.push(await latencyRound(pool, `tqbench-${runId}-outbox-latency-${round}`, samples));
      relay.push(await relayRound(pool, `tqbench-${runId}-outbox-relay-${round}`, jobs));
      process.stderr.write('.');
    }
    return {
      latency: {
        samplesPerRound: samples,
        plainP50: spread(latency.map((r) => r.plainP50)),
        plainP95: spread(latency.map((r) => r.plainP95)),
        outboxP50: spread(latency.map((r) => r.outboxP50)),
        outboxP95: spread(latency.map((r) => r.outboxP95)),
        addedP50: spread(latency.map((r) => r.outboxP50 - r.plainP50)),
      },
      relay: {
        jobs,
        plain: spread(relay.map((r) => r.plain)),
        outbox: spread(relay.map((r) => r.outbox)),
        ratio: spread(relay.map((r) => r.outbox / r.plain)),
      },
    };
  } finally {
    await pool.end();
  }
}

export function printOutbox({ latency, relay }: OutboxResult): void {
  const range = (s: Spread, digits = 1) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  console.log(
    `\nRedis outbox (median over rounds, min–max):` +
      `\n  enqueue → start, ms (${latency.samplesPerRound} samples of each per round): plain p50 ` +
      `${range(latency.plainP50)}, p95 ${range(latency.plainP95)}; in a transaction, to the ` +
      `COMMIT and through the relay: p50 ${range(latency.outboxP50)}, p95 ` +
      `${range(latency.outboxP95)}; added p50 ${range(latency.addedP50)}` +
      `\n  ${relay.jobs} jobs to Redis, jobs/s: plain enqueueMany ${range(relay.plain, 0)}; ` +
      `relayed after one COMMIT ${range(relay.outbox, 0)}; ratio ${range(relay.ratio, 2)}`,
  );
}
