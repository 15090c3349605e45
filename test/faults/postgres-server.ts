// A PostgreSQL server of one fault scenario's own: Debian's binaries, a cluster made with initdb
// in a temporary folder, listening on a free 127.0.0.1 port (never the machine's shared server
// on 5432), trust authentication. PostgreSQL refuses to run as root, so under root (as in CI)
// initdb and the server run as the `postgres` OS user, the folder handed over to it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { exitOf, freePort } from '../support/processes.js';

const PG_ROOT = '/usr/lib/postgresql';

/** How to kill each server started here and not destroyed yet, if the test process exits. */
const running = new Map<PrivatePostgres, () => void>();
let hooked = false;

/**
 * Runs the server and a watchdog that stops it once `parent` (the Jest process) is gone, so a
 * Jest that is itself killed leaves no server behind. The watchdog looks in /proc rather than
 * `kill -0`: it runs as `postgres` and may not signal root's processes.
 */
const WRAPPER = `
parent=$1; shift
"$@" &
server=$!
(while [ -d "/proc/$parent" ]; do sleep 0.5; done; kill -QUIT "$server") 2>/dev/null &
watchdog=$!
trap 'kill -QUIT "$server" 2>/dev/null' INT TERM HUP
wait "$server"
wait "$server" 2>/dev/null
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
`;

/** A private PostgreSQL server: its port, its URL, and start/stop on the same folder. */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  dir: string;
  /** Starts the server (again, on the same port and data folder); resolves once it answers. */
  start(): Promise<void>;
  /**
   * Stops the server and waits until it has exited. `fast` (default): PostgreSQL's fast
   * shutdown (SIGINT: sessions cut, a checkpoint written); `immediate`: SIGQUIT, no checkpoint.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Whether the server process runs. */
  isRunning(): boolean;
  /** The server's log so far, for failure messages. */
  log(): string;
  /** Kills the server whatever its state, and removes its folder. Safe to call twice. */
  destroy(): Promise<void>;
}

/** The folder of Debian's PostgreSQL binaries (newest version), or a message naming the fix. */
export function postgresBinaries(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((version) => existsSync(join(PG_ROOT, version, 'bin', 'postgres')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const version = versions.at(-1);
  const hint =
    "Install Debian's PostgreSQL server (`sudo apt-get install postgresql`; `.ci/run` does " +
    'so when no PostgreSQL answers on 127.0.0.1:5432).';
  if (!version) {
    throw new Error(
      `The PostgreSQL fault scenarios start a PostgreSQL server of their own and need ` +
        `initdb and postgres in ${PG_ROOT}/<version>/bin, which is missing. ${hint}`,
    );
  }
  const bin = join(PG_ROOT, version, 'bin');
  for (const tool of ['initdb', 'postgres']) {
    if (!existsSync(join(bin, tool))) {
      throw new Error(`The PostgreSQL fault scenarios need ${join(bin, tool)}. ${hint}`);
    }
  }
  return bin;
}

/** Uid and gid to run PostgreSQL as: `postgres` under root, else this process's own. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      'PostgreSQL refuses to run as root, and there is no `postgres` OS user to run the ' +
        "private server as. Install Debian's postgresql package (`sudo apt-get install " +
        'postgresql`), which creates it.',
      { cause: error },
    );
  }
}

/** Makes a cluster with initdb and starts it; {@link PrivatePostgres.destroy} removes it. */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  const user = serverUser();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'faults-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  if (user) await chown(dir, user.uid, user.gid);
  const asServerUser = { ...user, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  let child: ChildProcess | undefined;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  /**
   * The postmaster's pid, from its pid file (first line), if that process runs and is this
   * server (a pid file left by a killed server may name a pid reused since).
   */
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return pid > 0 && command.includes(data) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const exited = (proc?: ChildProcess) =>
    !proc || proc.exitCode !== null || proc.signalCode !== null;

  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      { ...asServerUser, cwd: dir, stdio: 'pipe' },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const output = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed in ${data}: ${output}`, { cause: error });
  }

  const server: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    log,
    isRunning: () => !exited(child),
    async start() {
      if (!exited(child)) return;
      const out = openSync(logFile, 'a');
      if (user) await chown(logFile, user.uid, user.gid);
      // Loopback TCP only; the Unix socket goes into the temporary folder, not /var/run.
      const options = ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
      options.push('-c', `unix_socket_directories=${dir}`);
      try {
        child = spawn(
          'sh',
          [
            '-c',
            WRAPPER,
            'postgres-wrapper',
            String(process.pid),
            join(bin, 'postgres'),
            ...options,
          ],
          { ...asServerUser, cwd: dir, stdio: ['ignore', out, out] },
        );
      } finally {
        closeSync(out);
      }
      const started = child;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (exited(started)) {
          throw new Error(`postgres on port ${port} exited at start:\n${log()}`);
        }
        const client = new pg.Client({
          connectionString: server.url,
          connectionTimeoutMillis: 1000,
        });
        client.on('error', () => undefined);
        const answered = await client.connect().then(
          async () => (await client.query('SELECT 1')).rowCount === 1,
          () => false,
        );
        await client.end().catch(() => undefined);
        if (answered) return;
        if (Date.now() > deadline) {
          throw new Error(`postgres on port ${port} did not answer within 30 s:\n${log()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(mode = 'fast') {
      if (exited(child)) return;
      const pid = postmasterPid();
      if (pid) process.kill(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      else child!.kill('SIGTERM');
      // The wrapper ends once the postmaster has.
      await exitOf(child!, 30_000);
    },
    async destroy() {
      running.delete(server);
      if (!exited(child)) {
        await server.stop('immediate').catch(() => undefined);
      }
      killLeftovers();
      await rm(dir, { recursive: true, force: true });
    },
  };
  /** Kills the postmaster and the wrapper outright, if they still run. */
  const killLeftovers = () => {
    const pid = postmasterPid();
    if (pid) process.kill(pid, 'SIGKILL');
    if (!exited(child)) child!.kill('SIGKILL');
  };
  running.set(server, killLeftovers);
  hookExit();
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

/** On exit of the test process, kills (synchronously) whatever server is left. */
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const kill of running.values()) kill();
  });
}
