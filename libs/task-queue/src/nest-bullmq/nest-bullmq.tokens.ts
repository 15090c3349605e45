// @nestjs/bullmq is an optional peer: importing it here would make every user of this module
// install it. Its injection tokens are plain strings, made by `getQueueToken` (@nestjs/bull-shared)
// and `getSharedConfigToken` (@nestjs/bullmq); they are spelled again here, and
// nest-bullmq.tokens.spec.ts checks them against those functions on each supported version.

const QUEUE_TOKEN_PREFIX = 'BullQueue_';

/** @internal The token of `@InjectQueue(queue)`. */
export const nestBullQueueToken = (queue: string): string => `${QUEUE_TOKEN_PREFIX}${queue}`;

/** @internal The queue whose `@InjectQueue()` token `token` is, if it is one. */
export const queueOfNestBullToken = (token: unknown): string | undefined =>
  typeof token === 'string' && token.startsWith(QUEUE_TOKEN_PREFIX)
    ? token.slice(QUEUE_TOKEN_PREFIX.length)
    : undefined;

/** @internal The token of the configuration `BullModule.forRoot()` shares (no `configKey`). */
export const NEST_BULL_SHARED_CONFIG_TOKEN = 'BULLMQ_CONFIG(default)';
