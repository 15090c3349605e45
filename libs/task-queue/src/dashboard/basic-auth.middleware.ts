import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DashboardCredentials } from '../interfaces/task-queue-dashboard-options.interface.js';

const REALM = 'Task queues';

/** Digests have one length whatever the input, so comparing them leaks neither length nor prefix. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Reads `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
function readCredentials(header: string | undefined): DashboardCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** @internal Answers 401 with a Basic challenge unless the request carries `expected`. */
export function basicAuth(expected: DashboardCredentials): RequestHandler {
  return (req, res, next) => {
    const given = readCredentials(req.headers.authorization);
    // Both comparisons always run: which of the two is wrong must not show in the timing.
    const userOk = sameSecret(given?.username ?? '', expected.username);
    const passwordOk = sameSecret(given?.password ?? '', expected.password);
    if (given && userOk && passwordOk) return next();
    res
      .status(401)
      .set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`)
      .type('text/plain')
      .send('Authentication required');
  };
}
