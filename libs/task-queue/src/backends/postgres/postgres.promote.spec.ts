import { Queue } from 'bullmq';
import { guardPromote } from './postgres.promote.js';
import { useMigratedPGlite } from '../../../../../test/support/pglite.js';

// The guarded promote answers as BullMQ's own: a delayed job goes to waiting; one that is not
// delayed (here: promoted already, then claimed by nothing) is refused with BullMQ's error.
describe("BullMQ's promote on PostgreSQL, guarded", () => {
  const schema = 'promoting';
  const pglite = useMigratedPGlite(schema);

  it('promotes a delayed job, and refuses one that is not delayed, as BullMQ does', async () => {
    const pool = pglite.pool();
    const module = pglite.factory();
    const factory: typeof module = (name, opts, factoryOpts) => {
      const backend = module(name, opts, factoryOpts);
      guardPromote(backend);
      return backend;
    };
    const queue = new Queue('promoting', { connection: pool }, factory) as unknown as Queue;
    try {
      const later = await queue.add('later', {}, { delay: 60_000 });
      expect(await queue.getJobState(later.id!)).toBe('delayed');
      await later.promote();
      expect(await queue.getJobState(later.id!)).toBe('waiting');
      await expect(later.promote()).rejects.toThrow(/not in the delayed state/);
      expect(await queue.getJobState(later.id!)).toBe('waiting');
    } finally {
      await queue.close();
    }
  }, 180_000);
});
