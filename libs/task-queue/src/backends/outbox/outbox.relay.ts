import type { Logger } from '@nestjs/common';
import type { FlowJob, JobsOptions } from 'bullmq';
import type { QueueBackend } from '../queue-backend.js';
import type { OutboxClient, OutboxConnection } from './outbox.connection.js';
import { outboxMessages } from './outbox.messages.js';
import { relayedFlow, relayedOptions } from './outbox.rows.js';

/** How the relay paces itself. */
export interface RelaySettings {
  /** Rows moved per transaction. */
  batchSize: number;
  /** How often the relay looks for rows without being notified, in ms (and retries after a failure). */
  pollMs: number;
  /**
   * Batches in flight at once, each in its own transaction: one's PostgreSQL round trips
   * overlap another's add to Redis (`SKIP LOCKED` gives them different rows).
   */
  parallel: number;
}

export const DEFAULT_RELAY_SETTINGS: RelaySettings = { batchSize: 500, pollMs: 2000, parallel: 2 };

/** A committed row, as the relay reads it. */
interface ClaimedRow {
  seq: string;
  id: string;
  kind: 'job' | 'flow';
  queue: string;
  body: string;
  age_ms: number;
}

/**
 * @internal Moves committed outbox rows to Redis, in the processes that run workers. Woken by
 * the NOTIFY each transactional enqueue sends (delivered at its COMMIT), and by a poll in case a
 * notification was missed. Each batch is one short transaction: rows locked `FOR UPDATE SKIP
 * LOCKED` (so relays of several processes never take the same row), added to Redis with the
 * row's id as the job id, then deleted. A relay that dies before its COMMIT leaves its rows
 * for the next one, whose add of a job id that exists already is no second job.
 */
export class OutboxRelay {
  private listener?: OutboxClient;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private failing = false;
  private listenFailing = false;

  constructor(
    private readonly connection: OutboxConnection,
    private readonly backend: QueueBackend,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly settings: RelaySettings = DEFAULT_RELAY_SETTINGS,
  ) {}

  start(): void {
    const poll = setInterval(() => this.wake(), this.settings.pollMs);
    this.timers.add(poll);
    void this.listen();
    this.wake();
  }

  /** Relays what is committed now; a call while a relay runs makes it look again after. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) this.wake();
    });
  }

  /** Stops relaying: the batch under way finishes (its rows are in Redis and deleted, or neither). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.running;
    await this.unlisten(this.listener);
  }

  private async drain(): Promise<void> {
    this.again = false;
    try {
      await this.connection.whenReady();
      const { batchSize, parallel } = this.settings;
      const loop = async () => {
        while (!this.stopped && (await this.relayBatch()) === batchSize);
      };
      await Promise.all(Array.from({ length: parallel }, loop));
      if (this.failing) this.logger.log(outboxMessages.relayBack());
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.stopped) {
        const problem = error instanceof Error ? error.message : String(error);
        this.logger.error(outboxMessages.relayFailed(problem, this.settings.pollMs));
      }
      this.failing = true;
    }
  }

  /** One transaction: claims a batch, adds it to Redis, deletes it. Returns how many rows. */
  private async relayBatch(): Promise<number> {
    const { sql } = this.connection;
    const client = await this.connection.client();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(sql.claim, [this.prefix, this.settings.batchSize]);
      const claimed = rows as ClaimedRow[];
      if (claimed.length > 0) {
        await this.toRedis(claimed);
        await client.query(sql.remove, [claimed.map(({ seq }) => seq)]);
      }
      await client.query('COMMIT');
      client.release();
      return claimed.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error as Error);
      throw error;
    }
  }

  /** The jobs of each queue in one `addBulk`, in row order; each flow whole, as it was written. */
  private async toRedis(rows: ClaimedRow[]): Promise<void> {
    const jobs = new Map<string, { name: string; data: object; opts: JobsOptions }[]>();
    const flows: FlowJob[] = [];
    for (const row of rows) {
      const ageMs = Number(row.age_ms);
      if (row.kind === 'flow') {
        flows.push(relayedFlow(JSON.parse(row.body) as FlowJob, ageMs));
        continue;
      }
      const job = JSON.parse(row.body) as { name: string; data: object; opts: JobsOptions };
      const queued = jobs.get(row.queue) ?? [];
      queued.push({ ...job, opts: relayedOptions(job.opts, ageMs) });
      jobs.set(row.queue, queued);
    }
    await Promise.all([
      ...[...jobs].map(([queue, batch]) => this.backend.queue(queue).addBulk(batch)),
      ...flows.map((flow) => this.backend.flowProducer().add(flow)),
    ]);
  }

  /** LISTENs on the outbox's channel; a lost connection is opened again, polling meanwhile. */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const { channel } = this.connection.sql;
    let client: OutboxClient | undefined;
    try {
      await this.connection.whenReady();
      client = await this.connection.listenClient();
      const lost = (error?: Error) => {
        if (this.listener !== client) return;
        this.listener = undefined;
        void this.unlisten(client, true);
        if (!this.stopped) {
          this.logger.warn(outboxMessages.listenLost(error?.message ?? 'connection ended'));
          this.retryListen();
        }
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload === this.prefix) this.wake();
      });
      await client.query(`LISTEN "${channel}"`);
      this.listener = client;
      this.listenFailing = false;
      if (this.stopped) await this.unlisten(client);
      // Rows committed while nobody listened.
      else this.wake();
    } catch (error) {
      await this.unlisten(client, true);
      if (!this.listenFailing && !this.stopped) {
        this.logger.warn(outboxMessages.listenLost((error as Error).message));
      }
      this.listenFailing = true;
      this.retryListen();
    }
  }

  private retryListen(): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.listen();
    }, this.settings.pollMs);
    this.timers.add(timer);
  }

  /**
   * Gives the LISTEN connection back: a pool's connection stops listening first, and one that
   * failed (`broken`) is destroyed rather than handed to the pool's next user.
   */
  private async unlisten(client: OutboxClient | undefined, broken = false): Promise<void> {
    if (!client) return;
    if (this.listener === client) this.listener = undefined;
    client.removeAllListeners('notification');
    if (broken) return client.release(true);
    await client.query('UNLISTEN *').catch(() => undefined);
    client.release();
  }
}
