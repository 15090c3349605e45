import { isPgPool, type PgPool } from 'bullmq';
import { TaskQueueConfigError } from '../../errors/index.js';
import type { TaskQueueOutboxOptions } from '../../interfaces/task-queue-options.interface.js';
import { outboxMessages } from './outbox.messages.js';

/** The schema the outbox table lives in when `outbox.schema` names none. */
export const DEFAULT_OUTBOX_SCHEMA = 'task_queue_outbox';

/** A PostgreSQL schema name, quoted into the outbox's SQL as it is. */
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

const FIELDS = new Set(['connection', 'schema']);

/** @internal The `outbox` option, checked: the application's database and the outbox's schema. */
export interface OutboxConfig {
  source: { url: string } | { pool: PgPool };
  schema: string;
}

const got = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value;

/**
 * @internal Reads the `outbox` option of a module on `backendKind`: `undefined` when unset.
 * @throws TaskQueueConfigError naming the field, what it got and what it takes.
 */
export function resolveOutbox(options: unknown, backendKind: string): OutboxConfig | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TaskQueueConfigError(
      outboxMessages.invalid('outbox', got(options), '{ connection, schema? }'),
    );
  }
  if (backendKind !== 'redis')
    throw new TaskQueueConfigError(outboxMessages.notOnRedis(backendKind));
  const unknown = Object.keys(options).find((field) => !FIELDS.has(field));
  if (unknown !== undefined) throw new TaskQueueConfigError(outboxMessages.unknownField(unknown));
  const { connection, schema = DEFAULT_OUTBOX_SCHEMA } = options as TaskQueueOutboxOptions;
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new TaskQueueConfigError(
      outboxMessages.invalid(
        'outbox.schema',
        got(schema),
        'a PostgreSQL schema name (letters, digits, _ and $, not starting with a digit)',
      ),
    );
  }
  if (typeof connection === 'string' && /^postgres(ql)?:\/\/./.test(connection)) {
    return { source: { url: connection }, schema };
  }
  if (isPgPool(connection)) return { source: { pool: connection }, schema };
  throw new TaskQueueConfigError(
    outboxMessages.invalid(
      'outbox.connection',
      got(connection),
      `a postgres:// URL or a pg Pool of the application's database`,
    ),
  );
}
