/** @internal The text of the testing module's errors and assertion failures. */
export const testingMessages = {
  noSuchJob: (id: string, queue: string | undefined) =>
    `TaskQueueTester.steps('${id}'): no job with id '${id}'` +
    (queue === undefined ? '' : ` on queue '${queue}'`) +
    ` since the last clear(). Pass the id enqueue() or drain() gave.`,
  noRunner: (what: string) =>
    `createTaskContext(): its queue only records enqueues and cannot ${what}. To run jobs, ` +
    `import TaskQueueTestingModule.forRoot() in the test module and use TaskQueueTester.drain().`,
  noBackend: (what: string) =>
    `${what} needs a queue backend, and the TaskQueueTestingModule has none. Test it against ` +
    `a real backend with TaskQueueModule, or leave it out of this test.`,
  noTaskQueueModule: () =>
    `overrideTaskQueueModule(): no TaskQueueModule.forRoot() or forRootAsync() found among the ` +
    `imports of the testing module. Import the application's root module in ` +
    `Test.createTestingModule({ imports: [AppModule] }), or use TaskQueueTestingModule.forRoot().`,
  notATask: (where: string) =>
    `${where} is not a task of this application: no @Task() or @ScheduledTask() on it, or its ` +
    `provider is not part of the testing module.`,
  notScheduled: (name: string, scheduled: string[]) =>
    `runSchedule('${name}'): no @ScheduledTask() of that name, nor runtime schedule of that id, ` +
    `in this application. Scheduled ` +
    `tasks: ${scheduled.length ? scheduled.map((task) => `'${task}'`).join(', ') : '(none)'}.`,
  drainRunaway: (limit: number) =>
    `drain() ran ${limit} jobs and more keep coming: a task probably enqueues itself (or a ` +
    `cycle of tasks enqueue each other). Run them step by step with runSchedule() or apply().`,
  rateLimitRunaway: (name: string, runs: number) =>
    `apply('${name}'): the task called ctx.rateLimit() on each of its ${runs} runs, so it would ` +
    `never finish. Make the upstream it calls answer, or test the rate-limited path with ` +
    `createTaskContext() and ctx.rateLimited.`,
  notEnqueued: (what: string, jobs: string) =>
    `Expected ${what} to have been enqueued, but it was not. Jobs enqueued since the last ` +
    `clear():${jobs}`,
  enqueued: (what: string, jobs: string) =>
    `Expected ${what} not to have been enqueued, but it was. Jobs enqueued since the last ` +
    `clear():${jobs}`,
};
