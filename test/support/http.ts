import { eventually } from './redis.js';

/** A job as `GET /jobs/:queue/:id` of the example app answers it. */
export interface JobJson {
  id: string;
  name: string;
  status: string;
  result: unknown;
  error: string | null;
}

/**
 * POSTs `body` as JSON to the example app's `path`, which must answer 202 `{ jobId }`, then
 * polls `GET /jobs/default/:jobId` until the job has finished (complete or failed).
 */
export async function enqueueAndFinish(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<JobJson> {
  const accepted = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(accepted.status).toBe(202);
  const { jobId } = (await accepted.json()) as { jobId: string };
  return eventually(
    async () => {
      const job = (await (await fetch(`${baseUrl}/jobs/default/${jobId}`)).json()) as JobJson;
      return job.status === 'complete' || job.status === 'failed' ? job : undefined;
    },
    15_000,
    `job ${jobId} to finish`,
  );
}
