/**
 * A transactional enqueue against a plain one, on PostgreSQL (`--only=transaction`): two lanes
 * of this module (no worker) take turns, as the throughput figures do. In each turn a lane runs
 * transactions one after another on a node-postgres client of its own: BEGIN, an INSERT of the
 * application's row, the enqueue, COMMIT. The plain lane enqueues through the module's pool
 * beside the transaction (the dual write); the transactional one through the transaction.
 */
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { TaskQueues, type TaskQueue, type TaskTransaction } from '@app/task-queue';
import { TEST_DATABASE_URL } from '../test/support/postgres.js';
import { dropPlace, place, type Place } from './backends.js';
import { JOB_NAME, TaskQueueApp } from './contenders.js';
import { spread, type Spread } from './stats.js';

type LaneKind = 'plain' | 'transactional';

interface Lane {
  kind: LaneKind;
  at: Place;
  close(): Promise<void>;
  /** Runs `count` transactions, each with one enqueue; their duration in ms. */
  turn(count: number): Promise<number>;
}

export interface TransactionResult {
  transactionsPerTurn: number;
  turns: number;
  /** Transactions per second of each lane, per round. */
  rounds: { plain: number; transactional: number }[];
  /** Transactional over plain, per round. */
  ratio: Spread;
}

async function openLane(kind: LaneKind, label: string): Promise<Lane> {
  const at = place(label, 0);
  const app = await NestFactory.createApplicationContext(TaskQueueApp.with(at), { logger: false });
  await app.init();
  const queue: TaskQueue = app.get(TaskQueues).get(at.queue);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  const table = `"${at.prefix}".bench_user`;
  await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id serial PRIMARY KEY, email text)`);
  // One plain enqueue first: the schema is migrated and the queue ready before timing.
  await queue.enqueue(JOB_NAME, { i: -1 });
  let next = 0;
  const through: TaskTransaction | undefined = kind === 'transactional' ? client : undefined;
  return {
    kind,
    at,
    turn: async (count) => {
      const start = performance.now();
      for (let k = 0; k < count; k++) {
        const i = next++;
        await client.query('BEGIN');
        await client.query(`INSERT INTO ${table} (email) VALUES ($1)`, [`user${i}@example.com`]);
        await queue.enqueue(JOB_NAME, { i }, { transaction: through });
        await client.query('COMMIT');
      }
      return performance.now() - start;
    },
    close: async () => {
      await client.end();
      await app.close();
      await dropPlace(at);
    },
  };
}

/** `rounds` rounds of `turns` turns per lane, in alternating order. */
export async function measureTransaction(
  rounds: number,
  quick: boolean,
  runId: string,
): Promise<TransactionResult> {
  const [perTurn, turns] = quick ? [50, 3] : [100, 8];
  const results: TransactionResult['rounds'] = [];
  for (let round = 0; round < rounds; round++) {
    const plain = await openLane('plain', `tqbench-${runId}-tx-plain-${round}`);
    const transactional = await openLane('transactional', `tqbench-${runId}-tx-tx-${round}`);
    try {
      const lanes = [plain, transactional];
      const ms = [0, 0];
      for (const lane of lanes) await lane.turn(10);
      for (let turn = 0; turn < turns; turn++) {
        for (let k = 0; k < lanes.length; k++) {
          const index = (k + turn + round) % lanes.length;
          ms[index] += await lanes[index].turn(perTurn);
        }
      }
      const rate = (index: number) => (perTurn * turns * 1000) / ms[index];
      results.push({ plain: rate(0), transactional: rate(1) });
      process.stderr.write('.');
    } finally {
      await plain.close();
      await transactional.close();
    }
  }
  return {
    transactionsPerTurn: perTurn,
    turns,
    rounds: results,
    ratio: spread(results.map((r) => r.transactional / r.plain)),
  };
}

/** The lines the bench prints. */
export function printTransaction(result: TransactionResult): void {
  const { median, min, max } = result.ratio;
  const rates = result.rounds
    .map((r) => `${r.transactional.toFixed(0)}/${r.plain.toFixed(0)}`)
    .join(', ');
  console.log(
    `\nTransactional enqueue (BEGIN, INSERT, enqueue, COMMIT on one client), transactions/s ` +
      `through the transaction / beside it: ${median.toFixed(2)} [${min.toFixed(2)}–${max.toFixed(2)}] ` +
      `(per round: ${rates}; ${result.turns} turns of ${result.transactionsPerTurn} per lane)`,
  );
}
