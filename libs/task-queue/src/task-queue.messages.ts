import type { WaitFacts, WorkerHint } from './producer/wait-timeout.js';

/**
 * Every error text of the library: where, what, and how to fix it.
 * `where` is `Class.method` for a decorated method.
 */
const list = (names: Iterable<string>): string =>
  [...names].map((name) => `'${name}'`).join(', ') || '(none)';

/** What to check when no worker serves `queue`, as the error of a wait that ran out says. */
const noWorkerFix = (queue: string, { namespace, embedded, runsHere }: WorkerHint): string => {
  if (embedded) {
    return runsHere
      ? `This process is set to run its workers, but none is running (starting, or closing).`
      : `PGlite lives in this process, so only this process can run its workers: set ` +
          `\`worker\` in forRoot (it is false here, or its \`queues\` leave '${queue}' out).`;
  }
  const here = runsHere
    ? ` This process is set to run one: it may still be starting, or cannot reach the backend.`
    : ` This process runs none (\`worker: false\`, or \`worker.queues\` without '${queue}').`;
  return (
    `Check that a process runs workers for it (\`worker\` in forRoot, or runWorker()) on the ` +
    `same backend with the same ${namespace}.${here}`
  );
};

const NAME_RULE =
  '1 to 100 letters, digits, "_", "-" or ".", starting with a letter or "_" (no ":" or spaces)';

export const messages = {
  invalidTaskName: (where: string, name: unknown) =>
    `${where}: task name ${JSON.stringify(name)} is invalid. Use ${NAME_RULE}.`,
  invalidQueueName: (where: string, name: unknown) =>
    `${where}: queue name ${JSON.stringify(name)} is invalid. Use ${NAME_RULE}.`,
  undeclaredQueue: (where: string, queue: string, queues: Iterable<string>) =>
    `${where}: queue '${queue}' is not configured. Add it to TaskQueueModule.forRoot({ queues }) ` +
    `(configured: ${list(queues)}), or pick one of those.`,
  duplicateTask: (name: string, queue: string, first: string, second: string) =>
    `Task '${name}' is defined twice on queue '${queue}': by ${first} and by ${second}. ` +
    `Give one of them another name with @Task('other_name') or put it on another queue.`,
  invalidTaskOption: (where: string, option: string, value: unknown, expected: string) =>
    `${where}: option '${option}' is ${describe(value)}; expected ${expected}.`,
  untypedParameter: (where: string, index: number) =>
    `${where}: parameter #${index} has no type DI can resolve (an interface, a type-only ` +
    `import, or a primitive). Import its class as a value, or mark it with @Inject(TOKEN).`,
  unresolvableParameter: (where: string, index: number, token: unknown) =>
    `${where}: parameter #${index} asks for ${tokenName(token)}, which no module of this ` +
    `application provides. Add it to a module's providers (and exports, if in another module).`,
  staticTask: (where: string) =>
    `${where}: @Task() and @ScheduledTask() go on instance methods of an @Injectable() ` +
    `provider, which the module finds at bootstrap; a static method is never called. Remove ` +
    `'static' from it.`,
  ambiguousInject: (where: string, indices: readonly number[], owners?: readonly string[]) => {
    const parameters = `parameter${indices.length > 1 ? 's' : ''} ${indices.map((i) => `#${i}`).join(', ')}`;
    const unseen = owners
      ? ''
      : ', and this build emits no decorator metadata (emitDecoratorMetadata) to tell which ' +
        'methods are decorated';
    return (
      `${where}: ${parameters} may be given by an @Inject() on a parameter of ` +
      `${owners ? `${list(owners)}, declared before it` : 'another method'}: Nest records ` +
      `@Inject() on a method's parameters without the method's name${unseen}, so the library ` +
      `cannot tell whose it is. Mark ${parameters} of ${where} with @TaskInject(TOKEN) ` +
      `(@TaskInject(TheClass) for a class), which is recorded under the task's name` +
      (owners ? `, or declare ${list(owners)} after the task methods.` : '.')
    );
  },
  invalidCron: (where: string, cron: unknown, problem: string) =>
    `${where}: cron ${describe(cron)} ${problem}. Use 5 fields (minute hour day-of-month month ` +
    `day-of-week, e.g. '0 2 * * *') or 6 with seconds first (e.g. '*/10 * * * * *').`,
  invalidEvery: (where: string, every: unknown, problem: string) =>
    `${where}: every ${describe(every)} ${problem}. Give the interval in seconds, e.g. ` +
    `every: 30 (or 0.5 for half a second).`,
  everyWithCron: (where: string) =>
    `${where}: 'every' cannot be combined with 'cron' or 'timeZone'. Keep 'every' for a fixed ` +
    `interval, or 'cron' (with 'timeZone') for times of day.`,
  noSchedule: (where: string) =>
    `${where}: @ScheduledTask() needs 'cron' (e.g. '0 2 * * *') or 'every' (seconds, e.g. 30).`,
  noRuntimeSchedule: (where: string) =>
    `${where}: give 'cron' (e.g. '0 2 * * *') or 'every' (seconds, e.g. 30).`,
  notScheduleOptions: (where: string, options: unknown) =>
    `${where}: options are ${describe(options)}; expected an object such as { every: 30 } or ` +
    `{ cron: '0 2 * * *', timeZone: 'Europe/Paris', payload: {...} }.`,
  unknownScheduleOption: (where: string, option: string) =>
    `${where}: unknown option '${option}'. Known: cron, every, timeZone, payload, id, overlap.`,
  notRuntimeScheduleId: (id: unknown, decorator: boolean) =>
    decorator
      ? `unschedule(${describe(id)}): that is the schedule of a @ScheduledTask() method, ` +
        `which the code declares: remove the decorator (or change it to @Task()) and redeploy.`
      : `unschedule(${describe(id)}): not the id of a runtime schedule. Pass the id that ` +
        `schedule() returned, or that schedules() lists (it starts with 'task-queue-runtime:').`,
  overlapSkipped: (id: string, name: string, queue: string) =>
    `Schedule '${id}' of '${name}' on '${queue}': tick skipped, the previous run is still ` +
    `active (overlap: false). Further skips are not logged until a tick runs again.`,
  invalidTimeZone: (where: string, timeZone: unknown) =>
    `${where}: timeZone ${describe(timeZone)} is not a known IANA time zone. Use a name such ` +
    `as 'UTC' (the default), 'Europe/Paris' or 'America/New_York'.`,
  nestCronTime: (where: string, cronTime: unknown) =>
    `${where}: @Cron(${describe(cronTime)}) is neither a cron pattern nor a Date. Give a pattern ` +
    `such as '0 2 * * *' (or a CronExpression constant).`,
  nestTimerMs: (where: string, type: string, ms: unknown) =>
    `${where}: @${type === 'interval' ? 'Interval' : 'Timeout'}(${describe(ms)}) needs a whole ` +
    `number of milliseconds${type === 'interval' ? ', at least 1' : ''}.`,
  nestZoneAndOffset: (where: string) =>
    `${where}: @Cron() has both 'timeZone' and 'utcOffset'. Keep one: 'timeZone' (an IANA name ` +
    `such as 'Europe/Paris') is preferred.`,
  nestUtcOffset: (where: string, utcOffset: unknown) =>
    `${where}: @Cron() utcOffset ${describe(utcOffset)} cannot run as a fixed-offset time zone: ` +
    `with schedule: 'distributed' it must be whole hours in minutes, from -720 to 840 (e.g. ` +
    `120 for UTC+2). Use 'timeZone' with an IANA name instead, e.g. timeZone: 'Asia/Kolkata' ` +
    `for UTC+5:30.`,
  nestTimerNotStatic: (where: string) =>
    `${where}: @Timeout() and @Cron(date) run on the provider's one instance, but this ` +
    `provider is request-scoped or depends on one. Move the method to a singleton provider.`,
  taskAndNestSchedule: (where: string) =>
    `${where}: has both a task decorator (@Task/@ScheduledTask) and a @nestjs/schedule one ` +
    `(@Cron/@Interval/@Timeout). Keep one of them.`,
  scheduleModuleImported: () =>
    `TaskQueueModule: schedule: 'distributed' runs the @Cron() and @Interval() methods itself, ` +
    `once per tick across processes, but ScheduleModule.forRoot() (@nestjs/schedule) is imported ` +
    `as well and would run them again in every process. Remove ScheduleModule.forRoot() from ` +
    `your imports, or drop schedule: 'distributed' to keep @nestjs/schedule's per-process timers.`,
  invalidSchedule: (value: unknown) =>
    `TaskQueueModule: option 'schedule' is ${describe(value)}; expected 'distributed' (or ` +
    `nothing, to leave @nestjs/schedule's decorators to ScheduleModule).`,
  invalidOption: (option: string, value: unknown, expected: string) =>
    `TaskQueueModule: option '${option}' is ${describe(value)}; expected ${expected}.`,
  defaultQueueNotConfigured: (defaultQueue: string, queues: Iterable<string>) =>
    `TaskQueueModule: defaultQueue '${defaultQueue}' is not one of the configured queues ` +
    `(${list(queues)}). Add it to 'queues' or set 'defaultQueue' to one of them.`,
  unusableSharedBullConnection: () =>
    `TaskQueueModule: the connection that BullModule.forRoot() shares is neither Redis options, ` +
    `a redis:// URL alone, nor an ioredis client, so TaskQueueModule cannot take it over. Give ` +
    `TaskQueueModule.forRoot({ connection }) its own.`,
  queueAlsoRegisteredWithBullModule: (queue: string) =>
    `TaskQueueModule: queue '${queue}' is also registered with BullModule.registerQueue(). ` +
    `TaskQueueModule already provides @InjectQueue('${queue}'), the Queue its tasks use. Drop ` +
    `'${queue}' from BullModule.registerQueue(), or from TaskQueueModule's queues if ` +
    `@nestjs/bullmq alone should serve it.`,
  staticQueuesDiffer: (given: Iterable<string>, made: Iterable<string>) =>
    `TaskQueueModule.forRootAsync: the factory's queues (${list(made)}) are not the ones given ` +
    `beside it (${list(given)}). Name the queues in one place, or the same ones in both.`,
  clusterPrefixWithoutHashTag: (prefix: string) =>
    `TaskQueueModule: prefix ${JSON.stringify(prefix)} has no hash tag, which Redis Cluster ` +
    `needs: each queue's keys must share a slot for BullMQ's scripts. Use a prefix such as ` +
    `'{bull}' (the part in braces picks the slot).`,
  workerQueueNotConfigured: (queue: string, queues: Iterable<string>) =>
    `TaskQueueModule: worker.queues names '${queue}', which is not a configured queue ` +
    `(${list(queues)}). Add it to 'queues' or remove it from 'worker.queues'.`,
  noTaskQueueModule: (where: string) =>
    `${where}: the application's module does not import TaskQueueModule. Pass the root module ` +
    `that imports TaskQueueModule.forRoot() or forRootAsync() (the one your API process boots).`,
  runWorkerQueueNotConfigured: (queue: string, queues: Iterable<string>) =>
    `runWorker: queues names '${queue}', which is not a configured queue (${list(queues)}). ` +
    `Pick queues from TaskQueueModule's 'queues' (the CLI's worker --queues), or add it there.`,

  unknownQueue: (queue: string, queues: Iterable<string>) =>
    `Unknown queue '${queue}'. Configured queues: ${list(queues)}. ` +
    `Add it to TaskQueueModule.forRoot({ queues }) to use it.`,
  unknownTask: (name: string, queue: string, tasks: Iterable<string>) =>
    `Unknown task '${name}' on queue '${queue}'. Tasks on that queue: ${list(tasks)}. ` +
    `Check the name and queue, and that the provider declaring it is part of this application ` +
    `(an enqueue-only process imports the same task modules with worker: false).`,
  unknownTaskMethod: (where: string, queue: string, actualQueue: string | undefined) =>
    actualQueue
      ? `${where} is a task of queue '${actualQueue}', not '${queue}': enqueue it on that queue.`
      : `${where} is not a task this application discovered: decorate it with @Task() and make ` +
        `sure its provider is part of this application.`,
  unknownTaskInWorker: (name: string, queue: string) =>
    `No task '${name}' on queue '${queue}' in this worker: it was enqueued by code this worker ` +
    `does not have (an older or newer deploy?). The job is failed without retries.`,
  invalidPayload: (name: string, path: string, problem: string) =>
    `Task '${name}': ${path} ${problem}. Payloads are plain data: objects, arrays, strings, ` +
    `finite numbers, booleans, null and Dates (sent as ISO strings).`,
  payloadTooLarge: (name: string, bytes: number, limit: number) =>
    `Task '${name}': the payload is ${bytes} bytes of JSON, over the limit of ${limit} bytes. ` +
    `Store large data elsewhere (a database, object storage) and pass its id, or raise the ` +
    `module's maxPayloadBytes.`,
  redisPolicy: (policy: string) =>
    `Redis runs with maxmemory-policy '${policy}': when it fills up it may evict BullMQ's keys ` +
    `and jobs are lost. Set 'maxmemory-policy noeviction' in redis.conf (or CONFIG SET ` +
    `maxmemory-policy noeviction).`,
  invalidEvent: (name: unknown, problem: string) =>
    `TaskQueues.sendEvent(${JSON.stringify(name) ?? String(name)}, data): ${problem}. Send a ` +
    `non-empty event name and a plain object of plain data, e.g. ` +
    `sendEvent('email.confirmed', { userId: 42 }).`,
  invalidRateLimit: (label: string, seconds: unknown) =>
    `${label}: ctx.rateLimit(${describe(seconds)}) needs a positive number of seconds to pause ` +
    `the queue for, e.g. ctx.rateLimit(30) or the upstream's Retry-After.`,
  rateLimited: (label: string, seconds: number) =>
    `${label} paused its queue for ${seconds} s with ctx.rateLimit(); it runs again after that.`,
  pauseNotReleased: (queue: string, reason: string, retrySeconds: number) =>
    `Queue '${queue}': the limit a ctx.rateLimit() pause set could not be lifted (${reason}); ` +
    `trying again in ${retrySeconds} s. Until then its workers count every job they start.`,
  invalidDeduplication: (name: string, problem: string) =>
    `Task '${name}': ${problem}. Deduplicate with { key } (while its job is unfinished), ` +
    `throttle with { key, keyTtl } (seconds), or debounce with ` +
    `{ key, keyTtl, delay, debounce: true } (the latest payload runs after the delay).`,
  invalidEnqueueOption: (name: string, option: string, value: unknown, expected: string) =>
    `Task '${name}': enqueue option '${option}' is ${describe(value)}; expected ${expected}.`,
  taskFailed: (name: string, jobId: string, reason: string) =>
    `Task '${name}' (job ${jobId}) failed: ${reason}`,
  waitTimedOut: (
    name: string,
    jobId: string,
    seconds: number,
    method: string,
    facts: WaitFacts,
  ) => {
    const { queue, workers, status } = facts;
    const job = `Task '${name}' (job ${jobId} on queue '${queue}')`;
    const later = `Wait longer with ${method}(..., { timeout }) or read it later with getJob('${jobId}').`;
    if (workers === 0) {
      return (
        `${job} is still ${status ?? 'unfinished'} after ${seconds} s: no worker serves queue ` +
        `'${queue}', so nothing runs its jobs. ${noWorkerFix(queue, facts.hint)} The job stays ` +
        `where it is; read it later with getJob('${jobId}').`
      );
    }
    const where = status ? `it is still ${status}` : 'the job is still queued or running';
    if (workers === undefined)
      return `${job} did not finish within ${seconds} s; ${where}. ${later}`;
    const serve = `${workers} ${workers === 1 ? 'worker serves' : 'workers serve'} queue '${queue}'`;
    switch (status) {
      case 'active':
        return `${job} is still active after ${seconds} s: a worker is running it (${serve}). ${later}`;
      case 'queued':
        return (
          `${job} is still queued after ${seconds} s: ${serve} and none has taken it yet (busy ` +
          `with other jobs, or the queue is paused or rate-limited). ${later}`
        );
      case 'scheduled':
        return (
          `${job} is still scheduled after ${seconds} s (delayed, or waiting to retry); ${serve}. ` +
          later
        );
      default:
        return `${job} did not finish within ${seconds} s; ${where} (${serve}). ${later}`;
    }
  },
  waitInterrupted: (name: string, jobId: string) =>
    `Stopped waiting for task '${name}' (job ${jobId}): the queue is closing. ` +
    `The job is still queued or running; read it later with getJob('${jobId}').`,
  invalidFlowNode: (where: string, value: unknown) =>
    `enqueueFlow: ${where} is ${describe(value)}; expected a job: { name, payload?, queue?, ` +
    `options?, children? }.`,
  unknownFlowField: (where: string, field: string) =>
    `enqueueFlow: ${where} has an unknown field '${field}'. A job of a flow takes name, ` +
    `payload, queue, options and children.`,
  flowChildrenNotArray: (where: string, value: unknown) =>
    `enqueueFlow: ${where}: children is ${describe(value)}; expected an array of jobs.`,
  flowKey: (where: string, name: string) =>
    `enqueueFlow: ${where} (task '${name}') sets option 'key': the jobs of a flow are never ` +
    `deduplicated. Remove it, or enqueue that job on its own.`,
  flowCycle: (where: string) =>
    `enqueueFlow: ${where} is one of its own ancestors: a flow is a tree. Give each job its ` +
    `own object.`,
  inFlow: (where: string, problem: string) => `enqueueFlow: ${where}: ${problem}`,
  childFailed: (name: string, jobId: string, queue: string, reason: string) =>
    `child '${name}' (job ${jobId} on queue '${queue}') failed: ${reason}`,
  timedOut: (label: string, seconds: number) =>
    `${label} timed out after ${seconds} s. Raise the task's timeout, or make it stop when ` +
    `ctx.signal aborts.`,
  hookFailed: (label: string, reason: string) =>
    `${label}: a per-job provider's onTaskFailure hook threw: ${reason}`,
  lateFailure: (label: string, reason: string) =>
    `${label} rejected after its run had already ended (timeout or abort): ${reason}`,
  invalidPayloadBySchema: (name: string, problem: string) =>
    `Task '${name}': the payload does not match the task's schema: ${problem}`,
  schedulesDeferred: (store: string, queues: Iterable<string>) =>
    `${store} is not reachable: the schedules of queue(s) ${list(queues)} will be reconciled ` +
    `once it is. Until then they run as last stored in ${store}.`,
  schedulesLost: (store: string) =>
    `${store} lost the queues' data (restarted empty, or flushed): putting back the schedules ` +
    `of this code and the runtime schedules last seen. Jobs that were queued are gone; make ` +
    `${store} persistent (Redis: appendonly yes) to keep them over a restart.`,
  schedulesNotChecked: (reason: string) =>
    `Could not check whether the schedules are still stored: ${reason}. Checking again shortly.`,
  schedulesFailed: (store: string, queue: string, reason: string) =>
    `Could not reconcile the schedules of queue '${queue}': ${reason}. They run as last stored ` +
    `in ${store}; restart the process once ${store} is healthy to apply this code's schedules.`,
  workersClosedWithoutBackend: (store: string) =>
    `${store} does not answer: workers closed at once. Jobs still active go back on their ` +
    `queue once their lock expires.`,
  workersStopped: (wentBack: number, graceSeconds: number) =>
    wentBack === 0
      ? `Workers stopped: every active job finished; 0 went back on their queue.`
      : `Workers stopped: ${wentBack} job(s) still running after the ${graceSeconds} s grace ` +
        `period went back on their queue, to run again in the next worker (not counted as a ` +
        `failure).`,
  forcedWorkerClose: (store: string, ms: number) =>
    `Workers did not close within ${ms} ms (${store} not answering?): closed by force. Jobs ` +
    `still active go back on their queue once their lock expires.`,
  failFast: (where: string, seconds: number, reason: string) =>
    `TaskQueueModule: ${where} did not answer within ${seconds} s of bootstrap (failFast): ` +
    `${reason}. Check that it is running and reachable from this host, and that the ` +
    `'connection' setting (host, port, password, TLS) is right; or raise 'failFast', or leave ` +
    `it unset to boot anyway and let the workers wait for the backend.`,
  outageStarted: (where: string, source: string, reason: string) =>
    `${where} is not reachable (${source}: ${reason}). Workers take no job and enqueues fail ` +
    `until it answers; the connections keep retrying. Check that it is running and that the ` +
    `'connection' setting points at it.`,
  outageGoesOn: (where: string, seconds: number, reason: string) =>
    `${where} still not reachable after ${seconds.toFixed(1)} s (${reason}); retrying.`,
  outageEnded: (where: string, seconds: number) =>
    `${where} reachable again after ${seconds.toFixed(1)} s.`,
  backendUnavailable: (queue: string, store: string, reason: string) =>
    `Queue '${queue}': ${store} is not reachable (${reason}); nothing was enqueued or read. ` +
    `Check that ${store} is running and the 'connection' setting points at it.`,
  schemaNotMigrated: (store: string, schema: string, reason: string) =>
    `${store} schema '${schema}' is not ready for the queues (${reason}). Run the migrations ` +
    `in a release step (TaskQueueMigrator.migrate()), or set 'migrate: true' so the ` +
    `application runs them at start.`,
  invalidConnection: (value: unknown, problem: string) =>
    `TaskQueueModule: option 'connection' ${problem} (got ${describe(value)}). Use a ` +
    `redis:// or rediss:// URL, ioredis options, { cluster: { nodes } }, a postgres:// or ` +
    `postgresql:// URL, { postgres: url | PoolConfig | Pool }, 'pglite:memory', ` +
    `'pglite:<directory>' or { pglite: PGlite }.`,
  invalidSchema: (option: string, schema: unknown) =>
    `TaskQueueModule: ${option} ${describe(schema)} cannot name a PostgreSQL schema, which on ` +
    `PostgreSQL is the queues' namespace. Use 1 to 63 letters, digits, "_" or "$", starting ` +
    `with a letter or "_" (e.g. 'tasks_test_1').`,
  connectionEntryBeside: (other: string, entry: 'postgres' | 'pglite') =>
    `TaskQueueModule: option 'connection.${other}' cannot be used with the ` +
    `${entry === 'postgres' ? 'PostgreSQL' : 'embedded PostgreSQL (PGlite)'} backend ` +
    `('connection.${entry}'), which takes no other entry. Remove '${other}'; the settings of ` +
    `that backend's connection go inside 'connection.${entry}'.`,
  namespaceWithPool: (option: string) =>
    `TaskQueueModule: '${option}' cannot be set with a ready-made pg Pool: the pool's own ` +
    `search_path decides the schema. Remove '${option}', or pass { postgres: { ` +
    `connectionString, schema } } and let the module make the pool.`,
  nonErrorThrown: (value: unknown) => `Task threw a non-Error value: ${describe(value)}`,
  metricsOff: () =>
    `TaskQueueMetrics.prometheus(): metrics are off (TaskQueueModule.forRoot({ metrics: false ` +
    `})). Remove that option to have them.`,
  promClientMissing: (problem: string) =>
    `TaskQueueMetrics.prometheus(): metrics need the package 'prom-client', which could not be ` +
    `loaded (${problem}). Install it: npm install prom-client`,
  promClientNeeded: (problem: string) =>
    `TaskQueueModule: option 'metrics.registry' needs the package 'prom-client', which could ` +
    `not be loaded (${problem}). Install it: npm install prom-client`,
  metricClash: (name: string, wanted: string) =>
    `TaskQueueModule: the metrics registry already has a metric '${name}' that is not ${wanted}, ` +
    `as the module's is. Rename or remove that metric, or give the module a registry of its ` +
    `own: TaskQueueModule.forRoot({ metrics: { registry: new Registry() } }).`,
  queueGaugesUnavailable: (store: string, problem: string) =>
    `Metrics: the queue gauges are left out of scrapes while ${store} does not answer ` +
    `(${problem}); the duration histogram is still served. Said once, until it answers again.`,
  queueGaugesBack: (store: string) => `Metrics: ${store} answers again; queue gauges served.`,
};

function tokenName(token: unknown): string {
  if (typeof token === 'function') return token.name || 'an anonymous class';
  return typeof token === 'symbol' ? token.toString() : `'${String(token)}'`;
}

/** @internal A value as error messages show it. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
