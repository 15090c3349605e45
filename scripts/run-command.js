// Runs a command as the child of a launcher script (run-with-backend.js, run-with-redis.js,
// run-tests.js): signals are passed on, and once the child has exited, `cleanup` (stopping a
// private Redis, say) runs before the launcher exits with the child's exit code.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {() => Promise<void>} [cleanup]
 */
export function runCommand(command, args, env, cleanup = async () => {}) {
  const child = spawn(command, args, { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  let finishing = false;
  const finish = async (code) => {
    if (finishing) return;
    finishing = true;
    await cleanup();
    process.exit(code);
  };
  child.once('error', (error) => {
    console.error(`Cannot run ${command}: ${error.message}`);
    void finish(127);
  });
  child.once('exit', (code, signal) => {
    void finish(signal ? 128 + constants.signals[signal] : (code ?? 1));
  });
}
