import type { MemoryJob } from './memory-job.js';

/** @internal The key options of one enqueue, as the producer prepared them (times in ms). */
export interface KeyOptions {
  id: string;
  ttl?: number;
  extend?: boolean;
  replace?: boolean;
}

/** What an enqueue with a key finds: the job it returns instead, or the job it replaces. */
export interface KeyLookup {
  duplicate?: MemoryJob;
  replaced?: MemoryJob;
}

/**
 * @internal The deduplication keys of the jobs kept in memory, as BullMQ keeps them: a key alone
 * holds while its job is unfinished; with a `ttl` it holds that long whatever the job does
 * (throttle); with `replace` a job that still waits for its delay is replaced (debounce), and
 * with `extend` the key's time starts again at each enqueue.
 */
export class MemoryKeys {
  /** By queue and key: the job that holds the key, and until when (`Date.now()` ms). */
  private readonly keys = new Map<string, { job: MemoryJob; until: number }>();

  find(queue: string, dedup: KeyOptions | undefined): KeyLookup {
    const held = dedup && this.keys.get(keyOf(queue, dedup.id));
    if (!held) return {};
    const live = dedup.ttl ? held.until > Date.now() : held.job.unfinished;
    if (!live) return {};
    const waiting = held.job.status === 'scheduled' && held.job.attemptsStarted === 0;
    return dedup.replace && waiting ? { replaced: held.job } : { duplicate: held.job };
  }

  /** Records that `job` holds its key now (it was added, or it replaced the holder). */
  hold(queue: string, dedup: KeyOptions | undefined, job: MemoryJob): void {
    if (!dedup) return;
    const until = dedup.ttl ? Date.now() + dedup.ttl : Infinity;
    this.keys.set(keyOf(queue, dedup.id), { job, until });
  }

  /** Extends the key's time, as BullMQ's `extend` does at each duplicate enqueue. */
  extend(queue: string, dedup: KeyOptions | undefined, job: MemoryJob): void {
    if (dedup?.extend) this.hold(queue, dedup, job);
  }

  clear(): void {
    this.keys.clear();
  }
}

const keyOf = (queue: string, key: string) => `${queue}\n${key}`;
