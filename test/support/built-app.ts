// Runs the example's built entry points (`nest build`, done by global-setup.js) as child
// processes, as `npm run worker`, `npm run api` and `npm run tasks` do.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitOf, waitFor } from './processes.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A running entry point and everything it has printed so far. */
export interface BuiltProcess {
  child: ChildProcess;
  output(): string;
  /** Waits until the output matches `pattern`, and returns the match. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` and resolves how the process ended. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): ReturnType<typeof exitOf>;
}

const running: ChildProcess[] = [];

/** Starts `node dist/src/<entry>.js args` with `env` added to this process's environment. */
export function startBuilt(
  entry: 'main' | 'worker',
  args: string[],
  env: Record<string, string>,
): BuiltProcess {
  const child = spawn(process.execPath, [`dist/src/${entry}.js`, ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      waitFor(
        () => pattern.exec(output),
        timeoutMs,
        `${pattern} in the output of ${entry}:\n${output}`,
      ),
    stop: (signal = 'SIGTERM', timeoutMs = 30_000) => {
      child.kill(signal);
      return exitOf(child, timeoutMs);
    },
  };
}

/** Kills whatever a test left running. */
export async function killAllBuilt(): Promise<void> {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child);
  }
}

/** Runs the tasks CLI to its end: `npm run tasks -- ...args`. */
export function runTasksCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['dist/src/tasks.js', ...args],
      { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
