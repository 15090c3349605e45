import type { RunProcessor } from './runnable-job.js';

/**
 * @internal Gives each run a context of its own around the task, its per-job providers and
 * hooks: nestjs-cls's, where the application has it (`cls/`), with what the job carries.
 */
export abstract class RunContexts {
  /** `run`, each call in a new context; `run` itself when there is no context to make. */
  abstract wrap(run: RunProcessor): RunProcessor;
}
