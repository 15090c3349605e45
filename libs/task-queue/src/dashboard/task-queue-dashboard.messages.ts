/** Every text the dashboard logs or throws: what happened, and how to change it. */
const HOW_TO_ENABLE =
  'set auth: { username, password } or middleware in TaskQueueDashboardModule.forRoot(), or, ' +
  'for local development, allowUnauthenticatedOnLoopback: true on a server bound to 127.0.0.1';

export const dashboardMessages = {
  unprotected: (path: string) =>
    `Dashboard not mounted at ${path}: it has no protection. To enable it, ${HOW_TO_ENABLE}.`,
  notLoopback: (path: string, address: string) =>
    `Dashboard not served at ${path}: allowUnauthenticatedOnLoopback needs a server bound to a ` +
    `loopback address, and this one is bound to ${address}. Set auth or middleware to serve it there.`,
  servedOnLoopback: (path: string, address: string) =>
    `Dashboard at ${path} without authentication: local development only (bound to ${address}).`,
  mounted: (path: string, queues: string[], protection: string[]) =>
    `Dashboard at ${path} (${protection.join(' + ')}), queues: ${queues.join(', ')}.`,
  noHttpServer: (path: string) =>
    `Dashboard not mounted at ${path}: this application has no HTTP server.`,
  noQueues: (path: string) =>
    `Dashboard not mounted at ${path}: under TaskQueueTestingModule there are no queues to show.`,
  notExpress: (path: string, type: string) =>
    `Dashboard not mounted at ${path}: it needs @nestjs/platform-express, and this ` +
    `application runs on '${type}'.`,
  maskedPayloadWrite: () =>
    'Payloads are masked in this dashboard (maskPayloads), so it cannot edit, add or duplicate ' +
    'jobs: the mask would replace the real payload. Enqueue from your application instead.',
  invalidPath: (path: unknown) =>
    `TaskQueueDashboardModule: option 'path' is ${JSON.stringify(path)}; expected a path ` +
    `starting with '/', such as '/queues'.`,
  invalidCredentials: () =>
    "TaskQueueDashboardModule: option 'auth' needs a non-empty username and password. " +
    'Set both (for example from environment variables), or leave auth out.',
};
