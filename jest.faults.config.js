/**
 * The fault-injection suite (`npm run test:faults`): crashes, restarts and outages of Redis and
 * PostgreSQL, a Redis Cluster and hostile input, each against servers of its own (redis-server,
 * PostgreSQL). One file at a time, so timings are not distorted by the others.
 */
import { esmTs } from './jest.config.js';

export default {
  ...esmTs,
  displayName: 'faults',
  rootDir: '.',
  testMatch: ['<rootDir>/test/faults/*.faults-spec.ts'],
  globalSetup: '<rootDir>/test/faults/global-setup.js',
  testTimeout: 180_000,
  maxWorkers: 1,
};
