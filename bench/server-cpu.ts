/**
 * The PostgreSQL server's CPU time, for a figure per job beside the worker's own: on PostgreSQL
 * a queue's work is split between the worker's process and the server's, and the server's share
 * bounds what any client-side change can gain. Read from /proc: the user + system time of every
 * process named `postgres` (the backends serving each connection and the server's background
 * writers), so only when the server runs on this machine (`TEST_DATABASE_URL` on loopback).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`; Linux's usual 100 if unknown). */
function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** User + system ticks of one process, if it is a `postgres` process still there. */
function postgresTicks(pid: string): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0; // It ended meanwhile.
  }
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (stat.slice(open + 1, close) !== 'postgres') return 0;
  // After the command's closing parenthesis: state, then fields 4…; utime and stime are 14 and 15.
  const fields = stat.slice(close + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * A function that reads the server's CPU time so far in µs, or undefined when the server is not
 * a process of this machine that /proc shows.
 */
export function postgresCpuMeter(databaseUrl: string): (() => number) | undefined {
  const host = new URL(databaseUrl).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(host) || !existsSync('/proc/self/stat')) {
    return undefined;
  }
  const microsPerTick = 1e6 / clockTicks();
  const read = () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .reduce((sum, pid) => sum + postgresTicks(pid), 0) * microsPerTick;
  // No process named postgres here (a server in a container, say): no figure rather than zero.
  return read() > 0 ? read : undefined;
}
