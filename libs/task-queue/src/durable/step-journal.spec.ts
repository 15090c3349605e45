import { InvalidOptionsError, NonRetryableError } from '../errors/index.js';
import type { JobSteps, StepRecord } from './job-steps.js';
import { StepJournal } from './step-journal.js';

/** A journal in memory whose writes each wait for `settle`, counting its reads. */
class HeldSteps implements JobSteps {
  readonly records: StepRecord[];
  reads = 0;
  private pending: (() => void)[] = [];

  constructor(records: StepRecord[] = []) {
    this.records = [...records];
  }

  read(): Promise<StepRecord[]> {
    this.reads += 1;
    return Promise.resolve([...this.records]);
  }

  write(record: StepRecord): Promise<void> {
    return new Promise((done) =>
      this.pending.push(() => {
        this.records.push(record);
        done();
      }),
    );
  }

  /** Makes the writes issued so far durable; how many there were. */
  settle(): number {
    const writes = this.pending.splice(0);
    writes.forEach((write) => write());
    return writes.length;
  }
}

const flush = () => new Promise((done) => setImmediate(done));

const journalOf = (steps: JobSteps) =>
  new StepJournal("Task 'demo' (job 1)", steps, { maxBytes: 1000 });

describe('StepJournal.step', () => {
  it('returns a result computed at once only after its write is durable', async () => {
    const steps = new HeldSteps();
    const journal = journalOf(steps);
    let returned: unknown = 'pending';
    void journal.step('one', () => ({ n: 1 })).then((value) => (returned = value));
    await flush();
    expect(returned).toBe('pending');
    expect(steps.settle()).toBe(1);
    await flush();
    expect(returned).toEqual({ n: 1 });
    expect(steps.records.map(({ key }) => key)).toEqual(['step:one']);
  });

  it("reads the job's records once, and returns a stored result without calling fn", async () => {
    const kept: StepRecord = { key: 'step:a', at: 1, value: 'stored', bytes: 8 };
    const steps = new HeldSteps([kept]);
    const journal = journalOf(steps);
    let calls = 0;
    await expect(journal.step('a', () => ++calls)).resolves.toBe('stored');
    const b = journal.step('b', () => 2);
    await flush();
    steps.settle();
    await expect(b).resolves.toBe(2);
    expect(calls).toBe(0);
    expect(steps.reads).toBe(1);
  });

  it('refuses a bad id, a missing fn or a duplicate id by rejecting, never by throwing', async () => {
    const journal = journalOf(new HeldSteps());
    const step = journal.step.bind(journal) as (id: unknown, fn: unknown) => Promise<unknown>;
    let empty: Promise<unknown> | undefined;
    let noFn: Promise<unknown> | undefined;
    expect(() => (empty = step('', () => 1))).not.toThrow();
    expect(() => (noFn = step('x', 'not a function'))).not.toThrow();
    await expect(empty).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(noFn).rejects.toBeInstanceOf(InvalidOptionsError);
    void journal.step('twice', () => 1);
    let again: Promise<unknown> | undefined;
    expect(() => (again = journal.step('twice', () => 1))).not.toThrow();
    await expect(again).rejects.toBeInstanceOf(NonRetryableError);
    await expect(again).rejects.toThrow(/twice/);
  });
});
