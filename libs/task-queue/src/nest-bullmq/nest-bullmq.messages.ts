/** @internal The text of the errors of the `@nestjs/bullmq` interop. */
export const nestBullMessages = {
  noBullQueue: (queue: string, member: string) =>
    `@InjectQueue('${queue}'): '${member}' needs a BullMQ queue, and the TaskQueueTestingModule ` +
    `has none (its jobs are kept in memory). In this test, give the token a value of your own: ` +
    `.overrideProvider(getQueueToken('${queue}')).useValue(...) on the TestingModuleBuilder, ` +
    `with getQueueToken from @nestjs/bullmq; or test this provider against a real backend with ` +
    `TaskQueueModule.`,
};
