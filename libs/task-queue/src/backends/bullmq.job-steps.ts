import type { Job, Queue } from 'bullmq';
import type { JobSteps, StepRecord } from '../durable/job-steps.js';
import { durableMessages } from '../durable/durable.messages.js';
import { NonRetryableError } from '../errors/index.js';

/**
 * What starts a job log line that is a journal record: the job's other log lines (a task may
 * write some through `TASK_JOB`) are not.
 */
const MARK = 'task-queue:step ';

/**
 * @internal A BullMQ job's journal, kept in the job's own log (BullMQ's `job.log`, on every
 * backend): one line per record, appended in one round trip, read back in one, and removed with
 * the job by retention. A job that never ran before has none, so its first execution reads
 * nothing.
 */
export class BullJobSteps implements JobSteps {
  constructor(
    private readonly job: Job,
    private readonly queue: Queue,
  ) {}

  async read(fresh = false): Promise<StepRecord[]> {
    refuseTrimmedLog(this.job);
    const { attemptsStarted, attemptsMade } = this.job;
    if (!fresh && attemptsStarted <= 1 && attemptsMade === 0) return [];
    return readSteps(this.queue, this.job.id!);
  }

  async write(record: StepRecord, json: string | undefined): Promise<void> {
    refuseTrimmedLog(this.job);
    await this.job.log(journalLine(record, json));
  }
}

/**
 * The journal of a job whose log BullMQ trims (`keepLogs`, set where the job was added through
 * BullMQ itself) would lose its oldest records, and the steps they stood for would run again:
 * such a job fails for good at its first durable call, saying so, rather than run steps twice.
 * @throws NonRetryableError for a job with `keepLogs`.
 */
function refuseTrimmedLog({ name, id, opts }: Job): void {
  if (opts.keepLogs === undefined) return;
  throw new NonRetryableError(
    durableMessages.trimmedJournal(`Task '${name}' (job ${id})`, opts.keepLogs),
  );
}

/** @internal The log line of a journal record whose value is `json` (absent for `undefined`). */
export function journalLine({ key, at }: Pick<StepRecord, 'key' | 'at'>, json?: string): string {
  const value = json === undefined ? '' : `,"value":${json}`;
  return `${MARK}{"key":${JSON.stringify(key)},"at":${at}${value}}`;
}

/** @internal The journal records of job `id` of `queue`, oldest first. */
export async function readSteps(queue: Queue, id: string): Promise<StepRecord[]> {
  const { logs } = await queue.getJobLogs(id, 0, -1, true);
  const records: StepRecord[] = [];
  for (const line of logs) {
    if (!line.startsWith(MARK)) continue;
    const { key, at, value } = JSON.parse(line.slice(MARK.length)) as StepRecord;
    const bytes = value === undefined ? 0 : Buffer.byteLength(line) - MARK.length;
    records.push({ key, at, value, bytes });
  }
  return records;
}
