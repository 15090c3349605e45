#!/usr/bin/env node
// Usage: npm run check
// Runs the repo's checks at once, each its own npm script and process: format (prettier), lint
// (eslint), types (tsc), the Markdown files' code blocks (check:readme), the library's
// import rules (check:imports: no folder cycles, bullmq only under backends/) and the
// documentation site (docs: its build, where an export without JSDoc or a broken link or anchor
// fails). They read the same files and write none that another reads (check:readme works in
// .readme-check/, the site goes to docs/api/ and docs/.vitepress/, all of which the others ignore). Each one's output is
// printed whole when it ends, under its name, so outputs do not interleave; the exit code is 1
// when any failed, and the last line names those that did.
import { spawn } from 'node:child_process';

const CHECKS = ['format:check', 'lint', 'typecheck', 'check:readme', 'check:imports', 'docs'];

const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Runs `npm run <name>`; resolves whether it passed, once its output is printed. */
function runCheck(name) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const finish = (passed, how) => {
      const text = output.trimEnd();
      console.log(`--- ${name}: ${how} (${seconds(started)})${text ? `\n${text}` : ''}`);
      resolve(passed);
    };
    child.once('error', (error) => finish(false, `could not start: ${error.message}`));
    child.once('close', (code, signal) =>
      finish(code === 0, code === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`),
    );
  });
}

const passed = await Promise.all(CHECKS.map(runCheck));
const failed = CHECKS.filter((_, i) => !passed[i]);
if (failed.length > 0) {
  console.log(`check failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`check passed: ${CHECKS.join(', ')} (${seconds(started)})`);
