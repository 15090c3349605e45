/**
 * @internal One stored entry of a job's journal: a step's result (key `step:<id>`), or what a
 * sleep or a wait left. `at` is when it was stored (ms since the epoch); `value` is the result as
 * it came back from JSON (absent for `undefined`); `bytes` what it weighs against the job's limit.
 */
export interface StepRecord {
  readonly key: string;
  readonly at: number;
  readonly value?: unknown;
  readonly bytes: number;
}

/**
 * @internal Where one job's journal is kept, durably, whatever the backend: the port a backend's
 * job view implements (BullMQ in `backends/`, memory in `testing/`). A record written survives
 * every later execution of the job, in any process, and goes when the job is removed.
 */
export interface JobSteps {
  /**
   * The records kept for the job, oldest first; none for a job that never ran before, unless
   * `fresh` (records written meanwhile by another process, such as an event's).
   */
  read(fresh?: boolean): Promise<StepRecord[]>;
  /** Keeps `record` (its value as `json`, absent for `undefined`); resolves once durable. */
  write(record: StepRecord, json: string | undefined): Promise<void>;
}

/** @internal The journal key of step `id`. */
export const stepKey = (id: string): string => `step:${id}`;

/** @internal The steps of a journal, as `getJob` lists them: ids and when each was stored. */
export function stepsOf(records: readonly StepRecord[]): { id: string; at: Date }[] {
  return records
    .filter(({ key }) => key.startsWith('step:'))
    .map(({ key, at }) => ({ id: key.slice('step:'.length), at: new Date(at) }));
}

/** @internal What the record of a wait's beginning (`wait:<n>`) keeps: when it times out, and for which event. */
export interface WaitBegun {
  /** When the wait times out, in ms since the epoch. */
  until: number;
  /** The name of the event it waits for: where its waiter is indexed. */
  event: string;
}

/** @internal The journal key of a wait's outcome: the event's data, or `null` after its timeout. */
export const doneKey = (key: string): string => `${key}:done`;

/**
 * @internal The waits of a journal that neither an event nor their timeout ended, each with
 * the event it waits for: the waiters still indexed for the job.
 */
export function openWaits(records: readonly StepRecord[]): { key: string; event: string }[] {
  const keys = new Set(records.map(({ key }) => key));
  return records
    .filter(({ key }) => /^wait:\d+$/.test(key) && !keys.has(doneKey(key)))
    .map(({ key, value }) => ({ key, event: (value as WaitBegun).event }));
}
