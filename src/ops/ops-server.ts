import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { TaskQueueHealth, TaskQueueMetrics } from '@app/task-queue';

/**
 * `GET /metrics` and `GET /health` of a process without an HTTP API (a worker), on 127.0.0.1:
 * the run-duration histogram is recorded where jobs run, so Prometheus scrapes workers too.
 * Resolves the port listened on; the server ends with the process.
 */
export async function serveOps(app: INestApplicationContext, port: number): Promise<number> {
  const health = app.get(TaskQueueHealth);
  const metrics = app.get(TaskQueueMetrics);
  const server = createServer((request, response) => {
    const answer = async (): Promise<[number, string, string]> => {
      if (request.method !== 'GET') return [405, 'text/plain', 'Only GET\n'];
      if (request.url === '/metrics') {
        return [200, TaskQueueMetrics.contentType, await metrics.prometheus()];
      }
      if (request.url === '/health') {
        const report = await health.check();
        return [report.healthy ? 200 : 503, 'application/json', JSON.stringify(report)];
      }
      return [404, 'text/plain', 'Try /metrics or /health\n'];
    };
    answer()
      .catch((error: unknown): [number, string, string] => [
        503,
        'text/plain',
        `${error instanceof Error ? error.message : String(error)}\n`,
      ])
      .then(([status, type, body]) =>
        response.writeHead(status, { 'content-type': type }).end(body),
      )
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  server.unref();
  return (server.address() as AddressInfo).port;
}
