#!/usr/bin/env node
// The package's `bin`: `npx nestjs-task-queue --module dist/app.module.js <command>`.
import 'reflect-metadata';
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), process.cwd(), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// `worker` keeps running until a signal closes it; the other commands end here, even if
// something of the application (a timer, a socket) would keep the process alive.
if (code !== 'running') {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
