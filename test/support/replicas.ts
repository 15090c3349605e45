import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CHILD_NODE_FLAGS } from './processes.js';
import { REDIS_URL } from './redis.js';

/**
 * Starts a built fixture (dist/test/fixtures/<script>.js) as an OS process of its own and
 * resolves once it prints its ready line, i.e. once its application has bootstrapped. Given
 * `output`, every line the process prints on stdout (its log, from the start) is pushed to it.
 */
export async function spawnReplica(
  script: string,
  env: Record<string, string>,
  output?: string[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, `dist/test/fixtures/${script}.js`], {
    env: { ...process.env, REDIS_URL, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (output) {
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      output.push(...lines);
    });
  }
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${script} exited with ${String(code)} before it was ready`);
  });
  await Promise.race([once(child.stdout, 'data'), exited]);
  exited.catch(() => undefined);
  return child;
}

/** Sends SIGTERM and waits for the exit code (0 after a clean shutdown). */
export async function stopReplica(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}
