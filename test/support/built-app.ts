// Runs the example's built entry points (`nest build`, done by global-setup.js) as child
// processes, as `npm run worker`, `npm run api` and `npm run tasks` do, and the package's CLI
// (its `bin`) against a built root module.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHILD_NODE_FLAGS, exitOf, waitFor } from './processes.js';

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

/**
 * The package's CLI as the example's `npm run tasks` runs it: built with the example app and the
 * test fixtures, so that their modules and it share one copy of the library.
 */
export const CLI = 'dist/libs/task-queue/src/cli/main.js';
/** `--module` of the example app: its compiled AppModule. */
export const EXAMPLE_MODULE = 'dist/src/app.module.js';

/** Starts `node dist/src/<entry>.js args` with `env` added to this process's environment. */
export function startBuilt(
  entry: 'main' | 'worker',
  args: string[],
  env: Record<string, string>,
): BuiltProcess {
  return startScript(`dist/src/${entry}.js`, args, env);
}

/** Starts `node <script> args` (a path relative to the repository) with `env` added. */
export function startScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): BuiltProcess {
  const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, script, ...args], {
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
        `${pattern} in the output of ${script}:\n${output}`,
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

/** Runs the tasks CLI to its end: `npm run tasks -- ...args` (the package's CLI on the example). */
export function runTasksCli(args: string[], env: Record<string, string>) {
  return runScript(CLI, ['--module', EXAMPLE_MODULE, ...args], env);
}

/** Runs `node <script> args` to its end; resolves its exit code and output. */
export function runScript(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [...CHILD_NODE_FLAGS, script, ...args],
      { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
