import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An Express middleware (any `RequestHandler`) run before the dashboard: end the response to
 * refuse the request, or call `next()` to let it through.
 */
// Declared as a method so that Express's handlers, which take its richer request and response
// types, fit too; the published types then need neither express nor its type package.
export type DashboardMiddleware = {
  /** Handles the request, as an Express middleware does. */
  handle(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
}['handle'];

/** Basic-auth credentials of the dashboard. */
export interface DashboardCredentials {
  /** The user name the browser must send; an empty one is refused at bootstrap. */
  username: string;
  /** The password the browser must send; an empty one is refused at bootstrap. */
  password: string;
}

/**
 * Options of {@link TaskQueueDashboardModule.forRoot}. The dashboard can retry, remove and add
 * jobs and pause queues, so it is served only behind `auth` or `middleware`, or, with
 * `allowUnauthenticatedOnLoopback`, by a server bound to a loopback address. With none of those
 * it is not mounted, and one log line says how to enable it.
 *
 * @example
 * ```ts
 * TaskQueueDashboardModule.forRoot({
 *   path: '/queues',
 *   auth: { username: 'ops', password: process.env.DASHBOARD_PASSWORD ?? '' },
 *   maskPayloads: true,
 * })
 * ```
 */
export interface TaskQueueDashboardOptions {
  /**
   * Where the dashboard is served, from the server's root (a global prefix does not apply).
   * Default `'/queues'`.
   */
  path?: string;
  /** Basic-auth credentials every request of the dashboard must carry. */
  auth?: DashboardCredentials;
  /**
   * Your own Express middleware, run before every request of the dashboard (after `auth`, when
   * both are set): end the response to refuse the request, call `next()` to let it through.
   * Nest guards do not run for the dashboard, which is not a Nest route.
   */
  middleware?: DashboardMiddleware | DashboardMiddleware[];
  /**
   * Serve the dashboard without protection, for local development, but only while the HTTP
   * server is bound to a loopback address (`127.0.0.1`, `::1`): on any other address it stays
   * unmounted and a warning says so. Default `false`.
   */
  allowUnauthenticatedOnLoopback?: boolean;
  /**
   * Hide job payloads in the dashboard: `true` shows every payload as `'[masked]'`; a function
   * returns what to show instead of a payload. Jobs keep their real payloads; editing, adding
   * and duplicating jobs from the dashboard are then refused, as they would store the mask.
   * Default `false`.
   */
  maskPayloads?: boolean | ((payload: unknown) => unknown);
  /** No retrying, removing, adding or pausing from the dashboard: it only shows. Default `false`. */
  readOnly?: boolean;
}
