/** Error texts of durable steps (`ctx.step`, `ctx.sleep`, `ctx.waitForEvent`): where, what, how to fix it. */

const shown = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value)
    : typeof value === 'function'
      ? 'a function'
      : String(value);

export const durableMessages = {
  invalidEventName: (label: string, name: unknown) =>
    `${label}: ctx.waitForEvent(${shown(name)}, ...) needs an event name, a non-empty string, ` +
    `e.g. ctx.waitForEvent('email.confirmed', { timeout: 86400 }).`,
  invalidWaitTimeout: (label: string, name: string, timeout: unknown) =>
    `${label}: ctx.waitForEvent('${name}', { timeout: ${shown(timeout)} }) needs a timeout, a ` +
    `positive number of seconds, after which it resolves null, e.g. { timeout: 7 * 86400 }.`,
  invalidMatch: (label: string, name: string) =>
    `${label}: ctx.waitForEvent('${name}', { match }) takes a plain object of the fields the ` +
    `event's data must have, e.g. { match: { userId: 42 } }.`,
  suspended: (label: string, outcome: 'sleeping' | 'waiting', until: number) =>
    `${label} ${outcome === 'sleeping' ? 'sleeps' : 'waits for an event'} until ` +
    `${new Date(until).toISOString()}: this execution ends here, and the job runs again from the ` +
    `top then, its steps returning what they stored. Let this error propagate.`,
  invalidSleep: (label: string, seconds: unknown) =>
    `${label}: ctx.sleep(${shown(seconds)}) needs a number of seconds, 0 or more, e.g. ` +
    `ctx.sleep(3600) for an hour.`,
  noStepStore: (label: string) =>
    `${label}: this job's backend keeps no steps, so ctx.step, ctx.sleep and ctx.waitForEvent ` +
    `cannot run here.`,
  invalidStepId: (label: string, id: unknown) =>
    `${label}: ctx.step(${shown(id)}, fn) needs a non-empty string id that names the step the ` +
    `same way on every execution, e.g. ctx.step('charge-card', fn) or ctx.step(\`email-\${user.id}\`, fn).`,
  invalidStepFn: (label: string, id: string) =>
    `${label}: ctx.step('${id}', fn) needs a function as fn, e.g. ctx.step('${id}', () => api.call()).`,
  duplicateStepId: (label: string, id: string) =>
    `${label}: step id '${id}' is used twice in one execution. Each step of a job needs an id of ` +
    `its own, stable across executions: in a loop, put the item's id in it ` +
    `(ctx.step(\`charge-\${item.id}\`, fn)), not a counter that could shift or Date.now().`,
  stepNotPlain: (label: string, id: string, path: string, problem: string) =>
    `${label}: the result of step '${id}' is not plain data: ${path} ${problem}. A step's result is ` +
    `stored as JSON (objects, arrays, strings, finite numbers, booleans, null; a Date as its ISO ` +
    `string): return the data you need later, not a class instance or a connection.`,
  stepsTooLarge: (label: string, id: string, bytes: number, limit: number) =>
    `${label}: with the result of step '${id}', the job's step results reach ${bytes} bytes of ` +
    `JSON, over the limit of ${limit} bytes (the module's maxPayloadBytes, which bounds each job's ` +
    `step results together). Store large data elsewhere and return its id, or raise maxPayloadBytes.`,
  trimmedJournal: (label: string, keepLogs: number) =>
    `${label}: this job was added with BullMQ's keepLogs: ${keepLogs}, which trims the job's log, ` +
    `where its durable steps, sleeps and waits are kept: steps would run again once trimmed. ` +
    `Add the job without keepLogs (TaskQueues' enqueue never sets it), or use no ctx.step, ` +
    `ctx.sleep or ctx.waitForEvent in this task.`,
};
