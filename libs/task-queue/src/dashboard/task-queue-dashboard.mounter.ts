import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@bull-board/express';
import type { Express, RequestHandler } from 'express';
import { TaskQueueConfigError } from '../errors/index.js';
import type { TaskQueueDashboardOptions } from '../interfaces/task-queue-dashboard-options.interface.js';
import { TaskQueues } from '../producer/task-queues.service.js';
import { basicAuth } from './basic-auth.middleware.js';
import { DashboardQueues } from './dashboard-queues.js';
import { refusePayloadWrites } from './masked-payload-writes.middleware.js';
import { DASHBOARD_OPTIONS } from './task-queue-dashboard.module-definition.js';
import { dashboardMessages as messages } from './task-queue-dashboard.messages.js';

const DEFAULT_PATH = '/queues';
const MASKED = '[masked]';

/** @internal 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function describeAddress(address: string | AddressInfo | null): string {
  if (address === null) return 'nothing yet';
  return typeof address === 'string' ? address : address.address;
}

/**
 * @internal Mounts Bull Board on the Express instance, behind the configured protection. It
 * runs at module init: after Nest has registered its routes, before its 404 handler. Bull Board
 * (and the Express stack it brings) is loaded only then, when there is a server to mount it on:
 * a worker process or the CLI boots the same module without one and never needs it.
 */
@Injectable()
export class TaskQueueDashboardMounter implements OnModuleInit {
  private readonly logger = new Logger('TaskQueueDashboard');

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: TaskQueueDashboardOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly taskQueues: TaskQueues,
    private readonly queues: DashboardQueues,
  ) {}

  async onModuleInit(): Promise<void> {
    const path = this.path();
    const { auth, middleware, allowUnauthenticatedOnLoopback } = this.options;
    if (auth && !(auth.username && auth.password)) {
      throw new TaskQueueConfigError(messages.invalidCredentials());
    }
    const httpAdapter = this.adapterHost.httpAdapter;
    if (!httpAdapter) return this.logger.log(messages.noHttpServer(path));
    if (!this.queues.hasQueues) return this.logger.log(messages.noQueues(path));
    if (httpAdapter.getType() !== 'express') {
      return this.logger.warn(messages.notExpress(path, httpAdapter.getType()));
    }

    const app = httpAdapter.getInstance<Express>();
    const router = (await this.board(path)).getRouter() as RequestHandler;
    const board = this.options.maskPayloads ? refusePayloadWrites(router) : router;
    const guards: RequestHandler[] = [];
    if (auth) guards.push(basicAuth(auth));
    if (middleware) guards.push(...[middleware].flat());
    if (guards.length > 0) {
      app.use(path, ...guards, board);
      const protection = [auth ? 'basic auth' : '', middleware ? 'your middleware' : ''];
      this.logger.log(messages.mounted(path, this.taskQueues.names(), protection.filter(Boolean)));
    } else if (allowUnauthenticatedOnLoopback) {
      app.use(path, this.loopbackOnly(path, httpAdapter.getHttpServer() as Server, board));
    } else {
      this.logger.warn(messages.unprotected(path));
    }
  }

  private path(): string {
    const path = this.options.path ?? DEFAULT_PATH;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TaskQueueConfigError(messages.invalidPath(path));
    }
    return path.length > 1 ? path.replace(/\/+$/, '') : path;
  }

  private async board(path: string): Promise<ExpressAdapter> {
    const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/express'),
    ]);
    const { readOnly = false, maskPayloads = false } = this.options;
    const mask = maskPayloads === true ? () => MASKED : maskPayloads || undefined;
    const queues = this.taskQueues.names().map((name) => {
      const adapter = new BullMQAdapter(this.queues.queue(name), {
        readOnlyMode: readOnly,
        allowRetries: !readOnly,
      });
      if (mask) adapter.setFormatter('data', mask);
      return adapter;
    });
    const serverAdapter = new ExpressAdapter().setBasePath(path);
    createBullBoard({ queues, serverAdapter });
    return serverAdapter;
  }

  /**
   * Serves `board` only while the server is bound to a loopback address, read on each request
   * since the address is known only once the application listens; otherwise the request falls
   * through to Nest's 404, as if nothing were mounted.
   */
  private loopbackOnly(path: string, server: Server, board: RequestHandler): RequestHandler {
    const bound = () => describeAddress(server.address());
    const onLoopback = () => isLoopbackAddress(bound());
    const report = () =>
      onLoopback()
        ? this.logger.log(messages.servedOnLoopback(path, bound()))
        : this.logger.warn(messages.notLoopback(path, bound()));
    if (server.listening) report();
    else server.once('listening', report);
    return (req, res, next) => (onLoopback() ? board(req, res, next) : next());
  }
}
