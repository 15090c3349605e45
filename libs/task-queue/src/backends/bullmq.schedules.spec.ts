import { describe, expect, it } from '@jest/globals';
import { useEmbeddedBackend } from '../../../../test/support/pglite.js';
import { BullScheduleStore, otherTickActiveOn, scheduleTickOf } from './bullmq.schedules.js';

// What this library relies on in BullMQ's job schedulers, on a real (embedded) backend: the
// fields a scheduler is read back with, and the id and `repeatJobKey` of the jobs it makes,
// which the overlap check reads. An upgrade of BullMQ that changes either fails here.
describe('BullMQ job schedulers, as backends/bullmq.schedules.ts reads them', () => {
  const backend = useEmbeddedBackend();

  it('reads back what it upserted, with the next run; removes it once', async () => {
    const schedules = new BullScheduleStore(backend()).queue('default');
    const template = { name: 'probe', data: { at: 'now' }, opts: { attempts: 2 } };
    const startDate = Date.now() + 60_000;
    await schedules.upsert(
      { id: 'task-queue:probe', when: { pattern: '0 8 * * 1', tz: 'Europe/Paris' }, template },
      startDate,
    );
    await schedules.upsert({
      id: 'task-queue-runtime:often',
      when: { every: 500 },
      template: { name: 'often', data: {}, opts: { taskOverlap: false } },
    });

    const [often, probe] = await schedules.list();
    expect(often).toMatchObject({
      id: 'task-queue-runtime:often',
      when: { every: 500 },
      template: { name: 'often', data: {}, opts: { taskOverlap: false } },
    });
    expect(probe).toMatchObject({
      id: 'task-queue:probe',
      when: { pattern: '0 8 * * 1', tz: 'Europe/Paris' },
      template: { name: 'probe', data: { at: 'now' }, opts: { attempts: 2 } },
    });
    expect(probe.next.getTime()).toBeGreaterThanOrEqual(startDate);
    expect(await schedules.has('task-queue:probe')).toBe(true);

    expect(await schedules.remove('task-queue:probe')).toBe(true);
    expect(await schedules.remove('task-queue:probe')).toBe(false);
    expect(await schedules.has('task-queue:probe')).toBe(false);
    expect(await schedules.remove('task-queue-runtime:often')).toBe(true);
  }, 60_000);

  it("names a scheduler's jobs repeat:<id>:<millis>, with the id as their repeatJobKey", async () => {
    const schedules = new BullScheduleStore(backend()).queue('ticks');
    const template = { name: 'tick', data: {}, opts: {} };
    await schedules.upsert({ id: 'task-queue:tick', when: { every: 60_000 }, template });
    const queue = backend().queue('ticks', 'worker');
    const [job] = await queue.getJobs(['waiting', 'delayed']);
    expect(job.id).toMatch(/^repeat:task-queue:tick:\d+$/);
    expect(job.repeatJobKey).toBe('task-queue:tick');
    expect(scheduleTickOf(job)).toMatchObject({ schedule: 'task-queue:tick', name: 'tick' });

    // Once the tick is active, the overlap check finds it from another tick of the schedule,
    // and not from itself nor from a tick of another schedule.
    const otherTickActive = otherTickActiveOn(queue);
    const tick = scheduleTickOf(job);
    expect(await otherTickActive(tick)).toBe(false);
    const worker = backend().worker('ticks', async () => undefined, { autorun: false });
    const active = await worker.getNextJob('probe-token');
    expect(active?.id).toBe(job.id);
    const later = { ...tick, id: 'repeat:task-queue:tick:1' };
    expect(await otherTickActive(later)).toBe(true);
    expect(await otherTickActive(tick)).toBe(false);
    expect(await otherTickActive({ ...later, schedule: 'task-queue:other' })).toBe(false);
    await worker.close(true);
    await schedules.remove('task-queue:tick');
  }, 60_000);
});
