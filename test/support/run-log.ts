// The side of a replica spec that watches: an application with no worker on the spec's backend
// (its queue; on PostgreSQL, migrated) and the run store that the replicas' tasks append to.
import type { DynamicModule, Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { QueueBackend } from '../../libs/task-queue/src/backends/queue-backend.js';
import { runsTable, runStore, type RunStore } from '../fixtures/scheduled.tasks.js';
import type { TestBackend } from './backend.js';
import { runSql } from './postgres.js';
import { startTaskApp } from './task-app.js';

/**
 * The `default` queue and the run store of `backend`, and the application, which knows the
 * tasks of `imports` (to enqueue them); the spec closes the store.
 */
export async function watchReplicas(
  backend: TestBackend,
  imports: (Type | DynamicModule)[] = [],
): Promise<{ queue: Queue; runs: RunStore; app: TestingModule }> {
  const app = await startTaskApp({ backend, imports, options: { worker: false } });
  const runs = runStore(backend.env.TASK_QUEUE_URL, backend.prefix);
  if (backend.kind === 'postgres') {
    await app.get(QueueBackend).migrate();
    await runSql(
      `CREATE TABLE ${runsTable(backend.prefix)} (seq bigserial PRIMARY KEY, run jsonb NOT NULL)`,
    );
  }
  return { queue: app.get(QueueBackend).queue('default'), runs, app };
}
