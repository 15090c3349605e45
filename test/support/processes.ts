// Helpers of the specs that spawn processes and check that none of them outlives its owner.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/**
 * Node's flags for the processes specs start (before the script): without V8's optimizing
 * compiler, whose work on its own threads a process that lives for a boot and a few jobs pays
 * for and hardly gains from. The processes behave the same; they only run less optimized code.
 */
export const CHILD_NODE_FLAGS = ['--no-opt'];

/** A loopback port nobody listens on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Pids of the launcher's processes for a port: redis-server and its watchdog shell. */
export function serverPids(port: number): number[] {
  const pattern = `redis-server.*[ :]${port}( |$)`;
  const { stdout } = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return stdout.split('\n').filter(Boolean).map(Number);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it returns something truthy, and returns that. */
export async function waitFor<T>(
  check: () => T | null | undefined | false,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) {
      const said = typeof what === 'function' ? what() : what;
      throw new Error(`Timed out after ${timeoutMs} ms: ${said}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How `child` ended, once it has. */
export function exitOf(child: ChildProcess, timeoutMs = 10_000) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} still runs`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}
