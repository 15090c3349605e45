/**
 * The fault-injection suite (`npm run test:faults`): crashes, Redis restarts and outages, a Redis
 * Cluster and hostile input, each against redis-servers of its own. One file at a time, so
 * timings are not distorted by the others.
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
