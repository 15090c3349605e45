/** @internal The text of the errors of the `@nestjs/bullmq` interop. */
export const nestBullMessages = {
  noBullQueue: (queue: string, member: string) =>
    `@InjectQueue('${queue}'): '${member}' needs a BullMQ queue, and the TaskQueueTestingModule ` +
    `has none (its jobs are kept in memory). In this test, give the token a value of your own: ` +
    `.overrideProvider(getQueueToken('${queue}')).useValue(...) on the TestingModuleBuilder, ` +
    `with getQueueToken from @nestjs/bullmq; or test this provider against a real backend with ` +
    `TaskQueueModule.`,
  unusableSharedBullConnection: () =>
    `TaskQueueModule: the connection that BullModule.forRoot() shares is neither Redis options, ` +
    `a redis:// URL alone, nor an ioredis client, so TaskQueueModule cannot take it over. Give ` +
    `TaskQueueModule.forRoot({ connection }) its own.`,
  queueAlsoRegisteredWithBullModule: (queue: string) =>
    `TaskQueueModule: queue '${queue}' is also registered with BullModule.registerQueue(). ` +
    `TaskQueueModule already provides @InjectQueue('${queue}'), the Queue its tasks use. Drop ` +
    `'${queue}' from BullModule.registerQueue(), or from TaskQueueModule's queues if ` +
    `@nestjs/bullmq alone should serve it.`,
};
