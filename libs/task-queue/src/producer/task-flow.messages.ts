import { describe } from '../errors/error-text.js';

/** @internal The text of the errors of flows (`enqueueFlow`) and of their children. */
export const flowMessages = {
  invalidFlowNode: (where: string, value: unknown) =>
    `enqueueFlow: ${where} is ${describe(value)}; expected a job: { name, payload?, queue?, ` +
    `options?, children? }.`,
  unknownFlowField: (where: string, field: string) =>
    `enqueueFlow: ${where} has an unknown field '${field}'. A job of a flow takes name, ` +
    `payload, queue, options and children.`,
  flowChildrenNotArray: (where: string, value: unknown) =>
    `enqueueFlow: ${where}: children is ${describe(value)}; expected an array of jobs.`,
  flowKey: (where: string, name: string) =>
    `enqueueFlow: ${where} (task '${name}') sets option 'key': the jobs of a flow are never ` +
    `deduplicated. Remove it, or enqueue that job on its own.`,
  flowCycle: (where: string) =>
    `enqueueFlow: ${where} is one of its own ancestors: a flow is a tree. Give each job its ` +
    `own object.`,
  inFlow: (where: string, problem: string) => `enqueueFlow: ${where}: ${problem}`,
  childFailed: (name: string, jobId: string, queue: string, reason: string) =>
    `child '${name}' (job ${jobId} on queue '${queue}') failed: ${reason}`,
};
