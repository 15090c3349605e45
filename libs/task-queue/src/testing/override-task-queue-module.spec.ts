import { createServer, type Server, type Socket } from 'node:net';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Task,
  TaskQueueConfigError,
  TaskQueueHealth,
  TaskQueueModule,
  TaskQueues,
  type TaskContext,
} from '../index.js';
import { overrideTaskQueueModule, TaskQueueTester } from './index.js';

@Injectable()
class OrdersTasks {
  @Task('confirm_order')
  async confirm(_ctx: TaskContext, payload: { orderId: number }) {
    return { confirmed: payload.orderId };
  }
}

@Injectable()
class OrdersService {
  constructor(private readonly taskQueues: TaskQueues) {}

  place(orderId: number) {
    return this.taskQueues.get('orders').enqueue(OrdersTasks, 'confirm', { orderId });
  }
}

@Module({ providers: [OrdersTasks, OrdersService] })
class OrdersModule {}

/** A TCP server standing in for Redis: it counts the connections it is asked for. */
async function listen(): Promise<{ server: Server; url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `redis://127.0.0.1:${port}`, sockets };
}

const appModule = (taskQueue: DynamicModule) => {
  @Module({ imports: [taskQueue, OrdersModule] })
  class AppModule {}
  return AppModule;
};

describe('overrideTaskQueueModule', () => {
  const cases: [string, (url: string) => DynamicModule][] = [
    ['forRoot', (url) => TaskQueueModule.forRoot({ connection: url, queues: ['orders'] })],
    [
      'forRootAsync',
      (url) =>
        TaskQueueModule.forRootAsync({
          useFactory: async () => ({ connection: url, queues: ['orders'], defaultQueue: 'orders' }),
        }),
    ],
  ];

  it.each(cases)(
    'runs an app importing TaskQueueModule.%s without connecting to its backend',
    async (_form, taskQueueModule) => {
      const redis = await listen();
      try {
        const moduleRef = await overrideTaskQueueModule(
          Test.createTestingModule({ imports: [appModule(taskQueueModule(redis.url))] }),
          { defaultQueue: 'orders' },
        ).compile();
        await moduleRef.init();
        const tester = moduleRef.get(TaskQueueTester);

        const { id } = await moduleRef.get(OrdersService).place(42);
        tester.assertEnqueued(OrdersTasks, 'confirm', { orderId: 42 });
        const [job] = await tester.drain();
        expect(job).toMatchObject({ id, status: 'complete', result: { confirmed: 42 } });
        const health = await moduleRef.get(TaskQueueHealth).check();
        expect(health).toMatchObject({
          healthy: false,
          backend: { kind: 'redis', reachable: false },
        });
        await moduleRef.close();

        // The address the application names had a listener all along: nothing connected to it.
        expect(redis.sockets).toHaveLength(0);
      } finally {
        await new Promise((resolve) => redis.server.close(resolve));
      }
    },
  );

  it('says so when the test module imports no TaskQueueModule', () => {
    const builder = Test.createTestingModule({ imports: [OrdersModule] });
    expect(() => overrideTaskQueueModule(builder)).toThrow(TaskQueueConfigError);
  });
});
