import type { RequestHandler } from 'express';
import { dashboardMessages as messages } from './task-queue-dashboard.messages.js';

/**
 * Bull Board's routes that store a payload the browser sends back: editing a job's data, and
 * adding a job (which is how the UI duplicates one). Paths are relative to the dashboard.
 */
const PAYLOAD_WRITES: { method: string; path: RegExp }[] = [
  { method: 'PATCH', path: /^\/api\/queues\/[^/]+\/[^/]+\/update-data\/?$/ },
  { method: 'POST', path: /^\/api\/queues\/[^/]+\/add\/?$/ },
];

/**
 * @internal With masked payloads the browser only ever holds the mask, so a payload it sends
 * back would replace the real one with the mask: those requests are refused with 403, the
 * others go on to `board`.
 */
export function refusePayloadWrites(board: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const write = PAYLOAD_WRITES.some(
      ({ method, path }) => req.method === method && path.test(req.path),
    );
    if (!write) return board(req, res, next);
    res.status(403).json({ error: { key: 'Forbidden' }, message: messages.maskedPayloadWrite() });
  };
}
