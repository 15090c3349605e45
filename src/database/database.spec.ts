import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { EmbeddedDatabase } from './database.js';
import { users } from './schema.js';

// The embedded database starts PGlite at its first use, not when it is made: a process that never
// queries it (a CLI command on Redis) never starts it. From the data directory the test run made
// once (test/pglite-data-dir.js) when there is one, as the example does with PGLITE_LOAD_DATA_DIR.
describe('EmbeddedDatabase', () => {
  let starts = 0;
  const start = async () => {
    starts++;
    const dump = process.env.PGLITE_LOAD_DATA_DIR;
    return PGlite.create(dump ? { loadDataDir: new Blob([await readFile(dump)]) } : {});
  };

  beforeEach(() => (starts = 0));

  it('starts PGlite once, at the first queries, and migrates it before them', async () => {
    const database = new EmbeddedDatabase(start);
    try {
      expect(starts).toBe(0);
      const [first, second] = await Promise.all([
        database.db.select({ id: users.id }).from(users).orderBy(users.id),
        database.db.transaction((tx) => tx.select({ id: users.id }).from(users)),
      ]);
      expect(first.map(({ id }) => id)).toEqual([1, 2, 3]);
      expect(second).toHaveLength(3);
      expect(await database.open()).toBe(await database.open());
      expect(starts).toBe(1);
    } finally {
      await database.close();
    }
    expect((await database.open()).closed).toBe(true);
  });

  it('closes without starting when nothing used it, and then refuses queries', async () => {
    const database = new EmbeddedDatabase(start);
    await database.close();
    const error = await database.db
      .select()
      .from(users)
      .catch((e: unknown) => e);
    expect(starts).toBe(0);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).cause ?? error)).toMatch(/closed before its first use/);
  });
});
