import type { BoundTask } from '../discovery/task.registry.js';
import { InvalidPayloadError, UnknownTaskError } from '../errors/index.js';
import type { EnqueueOptions } from '../interfaces/task-job.interface.js';
import { producerMessages } from './producer.messages.js';
import { toJobOptions } from './enqueue-options.js';
import type { TaskJobOptions } from './job-settings.js';
import { assertPlainPayload } from './task-payload.js';
import { validateWithSchema } from './task-schema.js';

/** @internal A checked enqueue, as the job stores take it. */
export interface PreparedJob {
  name: string;
  data: object;
  opts: TaskJobOptions;
  /** The enqueue's options as given, for the testing module's record of it. */
  requested?: EnqueueOptions;
}

/** @internal What checking an enqueue needs to know of the queue's tasks. */
export interface TaskLookup {
  readonly tasks: {
    get(name: string): Pick<BoundTask, 'jobOptions' | 'kwargs' | 'schema'> | undefined;
    keys(): Iterable<string>;
  };
  /** Largest payload accepted, in bytes of JSON. */
  readonly maxPayloadBytes: number;
}

/**
 * @internal Checks one enqueue on `queue` and turns it into the job's fields; no backend
 * call. Throws at once on bad input; returns a promise only for a task with a schema, whose
 * check may be async.
 */
export function prepareJob(
  lookup: TaskLookup,
  queue: string,
  name: string,
  payload: object = {},
  options?: EnqueueOptions,
): PreparedJob | Promise<PreparedJob> {
  const task = lookup.tasks.get(name);
  if (!task)
    throw new UnknownTaskError(producerMessages.unknownTask(name, queue, lookup.tasks.keys()));
  assertPlainPayload(name, payload, lookup.maxPayloadBytes);
  if (!task.schema) {
    return {
      name,
      data: payload,
      opts: toJobOptions(name, task.jobOptions, options),
      requested: options,
    };
  }
  return validateWithSchema(task.schema, { ...task.kwargs, ...payload }).then((checked) => {
    if ('problem' in checked) {
      throw new InvalidPayloadError(producerMessages.invalidPayloadBySchema(name, checked.problem));
    }
    return {
      name,
      data: payload,
      opts: toJobOptions(name, task.jobOptions, options),
      requested: options,
    };
  });
}
