import { openDatabase } from './open-database.js';

describe('openDatabase on PGlite', () => {
  it('refuses a data directory dump it cannot read, naming the file and the variable', async () => {
    const missing = '/nonexistent/pglite-data-dir.tar';
    await expect(openDatabase(undefined, { loadDataDir: missing })).rejects.toThrow(
      /^Cannot read the PGlite data directory dump \/nonexistent\/pglite-data-dir\.tar \(PGLITE_LOAD_DATA_DIR\): ENOENT.*unset the variable/,
    );
  });
});
