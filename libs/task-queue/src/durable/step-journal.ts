import { InvalidOptionsError, InvalidPayloadError, NonRetryableError } from '../errors/index.js';
import { plainDataProblem } from '../producer/task-payload.js';
import { durableMessages as messages } from './durable.messages.js';
import { doneKey, stepKey, type JobSteps, type StepRecord, type WaitBegun } from './job-steps.js';
import { RunSuspension } from './run-suspension.js';
import type { EventWaiter, EventWaiters } from '../producer/event-waiters.js';

/** @internal Where a run's waits for events are indexed, and whose they are. */
export interface RunEvents {
  waiters: EventWaiters;
  queue: string;
  jobId: string;
}

/**
 * @internal Where a run's steps get spans of their own (the module's tracing): `body` runs in
 * the span of step `id`, `replayed` when its result comes from the job's journal.
 */
export interface StepSpans {
  step<R>(id: string, replayed: boolean, body: () => Promise<R>): Promise<R>;
}

/** @internal What a journal may use besides its job's records; each has a neutral default. */
export interface JournalOptions {
  /** Bytes of JSON the job's step results may take together. */
  maxBytes: number;
  /** The time, in ms since the epoch: the testing kit's runs sleeps at once. */
  now?: () => number;
  /** Where waits for events are indexed; absent where there are none to wait for. */
  events?: RunEvents;
  /** Spans of the steps; absent without tracing. */
  spans?: StepSpans;
}

/** `ctx.waitForEvent`'s options. */
export interface WaitForEventOptions {
  /** Fields the event's data must have, at every depth (a deep subset); default: any event. */
  match?: object;
  /** Seconds to wait before resolving `null`. */
  timeout: number;
}

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
  /** The waiters this execution put in the index, by event name. */
  private readonly indexed: { name: string; waiter: EventWaiter }[] = [];
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly events?: RunEvents;
  private readonly spans?: StepSpans;

  constructor(
    /** `Task 'x' (job 5)`, for messages. */
    private readonly label: string,
    private readonly steps: JobSteps,
    { maxBytes, now = Date.now, events, spans }: JournalOptions,
  ) {
    this.maxBytes = maxBytes;
    this.now = now;
    this.events = events;
    this.spans = spans;
  }

  /**
   * `ctx.waitForEvent(name, { match, timeout })`: the data of the event that woke this wait in
   * an earlier execution, or `null` once its timeout is past; else, the first time, stores
   * when it times out and indexes the job as a waiter of `name`, and rejects with a
   * {@link RunSuspension} until then. Waits are named by their order in the execution.
   */
  async waitForEvent(name: string, options: WaitForEventOptions): Promise<unknown> {
    const { match, timeout } = checkWait(this.label, name, options);
    const key = `wait:${++this.suspensions}`;
    const records = await this.read();
    const done = records.get(doneKey(key));
    if (done) return done.value ?? null;
    const events = this.events;
    if (!events) throw new Error(messages.noStepStore(this.label));
    const now = this.now();
    const begun = (records.get(key)?.value as WaitBegun | undefined)?.until;
    const waiter: EventWaiter = { queue: events.queue, jobId: events.jobId, key, since: now };
    if (match) waiter.match = match;
    if (begun === undefined) {
      const until = now + Math.round(timeout * 1000);
      const value: WaitBegun = { until, event: name };
      await this.steps.write({ key, at: now, value, bytes: 0 }, JSON.stringify(value));
      await events.waiters.add(name, waiter);
      this.indexed.push({ name, waiter });
      throw this.waiting(until, key);
    }
    if (now < begun) throw this.waiting(begun, key);
    // Timed out, unless an event took the waiter first: then its data is in the journal.
    if (!(await events.waiters.take(name, waiter))) {
      const delivered = (await this.steps.read(true)).find((record) => record.key === doneKey(key));
      if (delivered) return delivered.value ?? null;
    }
    await this.steps.write({ key: doneKey(key), at: now, value: null, bytes: 0 }, 'null');
    return null;
  }

  /**
   * Takes the waiters this execution indexed back out of the index: for a run that ended for
   * good (aborted) while it indexed them, whose job no event must wake.
   */
  async withdraw(): Promise<void> {
    const { events } = this;
    if (!events) return;
    const indexed = this.indexed.splice(0);
    await Promise.all(indexed.map(({ name, waiter }) => events.waiters.take(name, waiter)));
  }

  /** The end of an execution that waits until `until`, or until its wait's outcome is stored. */
  private waiting(until: number, key: string): RunSuspension {
    return new RunSuspension(this.label, 'waiting', until, async () =>
      (await this.steps.read(true)).some((record) => record.key === doneKey(key)),
    );
  }

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
   * returned. What is returned is the result as stored (through JSON) on every execution. With
   * tracing, each step has a span, a replayed one (its result from the journal) too.
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
    const { spans } = this;
    if (kept) return spans ? spans.step(id, true, async () => kept.value as R) : (kept.value as R);
    if (spans) return spans.step(id, false, () => this.run(id, key, records, fn));
    return this.run(id, key, records, fn);
  }

  /** Runs step `id` (journal key `key`) for the first time, and stores its result. */
  private async run<R>(
    id: string,
    key: string,
    records: Map<string, StepRecord>,
    fn: () => R | PromiseLike<R>,
  ): Promise<R> {
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

  /** The job's records by key, read once (again after a failed read; the first of a key wins). */
  private read(): Promise<Map<string, StepRecord>> {
    if (this.records) return this.records;
    const records = this.steps.read().then((list) => {
      const byKey = new Map<string, StepRecord>();
      for (const record of list) {
        if (byKey.has(record.key)) continue;
        byKey.set(record.key, record);
        this.bytes += record.bytes;
      }
      return byKey;
    });
    this.records = records;
    records.catch(() => this.records === records && (this.records = undefined));
    return records;
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

/**
 * @internal Checks `ctx.waitForEvent(name, options)` of the run `label`.
 * @throws InvalidOptionsError for a name that is not a non-empty string, a `timeout` that is
 *   not a positive number, or a `match` that is not a plain object.
 */
export function checkWait(label: string, name: unknown, options: unknown): WaitForEventOptions {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionsError(messages.invalidEventName(label, name));
  }
  const { match, timeout } = (options ?? {}) as Partial<WaitForEventOptions>;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidOptionsError(messages.invalidWaitTimeout(label, name, timeout));
  }
  if (
    match !== undefined &&
    (match === null || typeof match !== 'object' || Array.isArray(match))
  ) {
    throw new InvalidOptionsError(messages.invalidMatch(label, name));
  }
  return { match, timeout };
}
