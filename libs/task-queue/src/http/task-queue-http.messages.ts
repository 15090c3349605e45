/** Texts of the HTTP exception filter and the health indicator: what happened and what to do. */
export const httpMessages = {
  taskFailed: (jobId: string, queue: string | undefined) =>
    `The task of job ${jobId}${queue === undefined ? '' : ` on queue '${queue}'`} failed. ` +
    `Its error is in the application's log; read the job for its status.`,
  invalidRetryAfter: (value: unknown) =>
    `TaskQueueExceptionFilter: option 'retryAfter' is ${typeof value === 'string' ? `'${value}'` : String(value)}; expected a ` +
    `whole number of seconds of 0 or more (the Retry-After header of 503 answers).`,
  backendDown: (store: string, error: string | undefined) =>
    `${store} is not reachable${error ? ` (${error})` : ''}: nothing can be enqueued or run.`,
};
