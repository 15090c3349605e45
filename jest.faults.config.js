/**
 * The fault-injection suite (`npm run test:faults`): crashes, restarts and outages of Redis and
 * PostgreSQL, a Redis Cluster and hostile input, each against servers of its own (redis-server,
 * PostgreSQL, on free ports, their files in temporary folders). The scenarios spend most of their
 * time waiting (for BullMQ's stalled-job check, an outage, a schedule's tick), so several files
 * run side by side; the longest ones are split into files of their own for that.
 */
import { esmTs } from './jest.config.js';

export default {
  ...esmTs,
  displayName: 'faults',
  rootDir: '.',
  testMatch: ['<rootDir>/test/faults/*.faults-spec.ts'],
  globalSetup: '<rootDir>/test/faults/global-setup.js',
  testTimeout: 180_000,
  maxWorkers: 4,
};
