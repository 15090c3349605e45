// The third-party connection types the public options name (ioredis's, through BullMQ, and
// BullMQ's `pg.Pool` shape), re-exported here so that only `backends/` names BullMQ. Types only:
// nothing is loaded at run time. Not marked internal: the published declarations need them.
export type { ClusterOptions, PgPool, RedisOptions } from 'bullmq';
