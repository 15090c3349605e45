import { InvalidOptionsError, InvalidPayloadError, NonRetryableError } from '../errors/index.js';
import { plainDataProblem } from '../producer/task-payload.js';
import { durableMessages as messages } from './durable.messages.js';
import { stepKey, type JobSteps, type StepRecord } from './job-steps.js';
import { RunSuspension } from './run-suspension.js';

/**
 * @internal The journal of one execution of a job: `ctx.step` answers from what earlier
 * executions stored, and stores what this one adds before returning it. It reads the job's
 * records once, on the first step, and keeps count of their bytes against the job's limit.
 */
export class StepJournal {
  private records?: Promise<Map<string, StepRecord>>;
  private readonly used = new Set<string>();
  private bytes = 0;
  /** Sleeps and waits of this execution so far: their order names them in the journal. */
  private suspensions = 0;

  constructor(
    /** `Task 'x' (job 5)`, for messages. */
    private readonly label: string,
    private readonly steps: JobSteps,
    /** Bytes of JSON the job's step results may take together. */
    private readonly maxBytes: number,
    /** The time, in ms since the epoch: the testing kit's runs sleeps at once. */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `ctx.sleep(seconds)`: resolves at once when this sleep is over (the job slept it in an
   * earlier execution); else stores when it ends, the first time, and rejects with a
   * {@link RunSuspension} until then. Sleeps are named by their order in the execution.
   */
  async sleep(seconds: number): Promise<void> {
    checkSleep(this.label, seconds);
    const key = `sleep:${++this.suspensions}`;
    const records = await this.read();
    const now = this.now();
    let until = records.get(key)?.value as number | undefined;
    if (until === undefined) {
      until = now + Math.round(seconds * 1000);
      const record: StepRecord = { key, at: now, value: until, bytes: 0 };
      await this.steps.write(record, String(until));
      records.set(key, record);
    }
    if (now >= until) return;
    throw new RunSuspension(this.label, 'sleeping', until);
  }

  /**
   * `ctx.step(id, fn)`: the stored result of step `id`, else `fn`'s, stored before it is
   * returned. What is returned is the result as stored (through JSON) on every execution.
   */
  async step<R>(id: string, fn: () => R | PromiseLike<R>): Promise<R> {
    if (typeof id !== 'string' || id === '') {
      throw new InvalidOptionsError(messages.invalidStepId(this.label, id));
    }
    if (typeof fn !== 'function') {
      throw new InvalidOptionsError(messages.invalidStepFn(this.label, id));
    }
    if (this.used.has(id)) throw new NonRetryableError(messages.duplicateStepId(this.label, id));
    this.used.add(id);
    const key = stepKey(id);
    const records = await this.read();
    const kept = records.get(key);
    if (kept) return kept.value as R;
    const value = await fn();
    const problem = plainDataProblem(value, 'result');
    if (problem) {
      throw new InvalidPayloadError(
        messages.stepNotPlain(this.label, id, problem.path, problem.problem),
      );
    }
    const json = value === undefined ? undefined : JSON.stringify(value);
    const bytes = json === undefined ? 0 : Buffer.byteLength(json);
    if (this.bytes + bytes > this.maxBytes) {
      throw new InvalidPayloadError(
        messages.stepsTooLarge(this.label, id, this.bytes + bytes, this.maxBytes),
      );
    }
    const stored = json === undefined ? undefined : (JSON.parse(json) as unknown);
    const record: StepRecord = { key, at: Date.now(), value: stored, bytes };
    await this.steps.write(record, json);
    records.set(key, record);
    this.bytes += bytes;
    return stored as R;
  }

  /** The job's records by key, read once (the first record of a key wins). */
  private read(): Promise<Map<string, StepRecord>> {
    return (this.records ??= this.steps.read().then((list) => {
      const byKey = new Map<string, StepRecord>();
      for (const record of list) {
        if (byKey.has(record.key)) continue;
        byKey.set(record.key, record);
        this.bytes += record.bytes;
      }
      return byKey;
    }));
  }
}

/**
 * @internal Checks the seconds of `ctx.sleep(seconds)` of the run `label`.
 * @throws InvalidOptionsError unless `seconds` is a number, 0 or more.
 */
export function checkSleep(label: string, seconds: unknown): void {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidOptionsError(messages.invalidSleep(label, seconds));
  }
}
