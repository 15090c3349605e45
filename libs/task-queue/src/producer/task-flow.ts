import { randomUUID } from 'node:crypto';
import {
  InvalidOptionsError,
  InvalidPayloadError,
  UnknownQueueError,
  UnknownTaskError,
} from '../errors/index.js';
import type { TaskFlow } from '../interfaces/task-flow.interface.js';
import { flowMessages } from './task-flow.messages.js';
import { childRef, type TaskJobOptions } from './job-settings.js';
import { prepareJob, type PreparedJob, type TaskLookup } from './prepared-job.js';
import { refuseTransaction } from './transaction-option.js';

/** @internal A checked job of a flow, with the id it will have and its checked children. */
export interface PreparedFlow {
  id: string;
  queue: string;
  job: PreparedJob;
  children: PreparedFlow[];
}

/** @internal What checking the jobs of a flow needs: the task lookup of any queue. */
export interface FlowLookup {
  /** The task lookup of queue `queue`; throws `UnknownQueueError` for one not configured. */
  lookupOf(queue: string): TaskLookup;
}

const FIELDS = new Set(['name', 'payload', 'queue', 'options', 'children']);
/** Errors of a bad enqueue, rethrown as they are with the job's place in the tree. */
const ENQUEUE_ERRORS = [
  UnknownTaskError,
  UnknownQueueError,
  InvalidPayloadError,
  InvalidOptionsError,
];

/**
 * @internal Checks every job of `flow` as `enqueue` checks one (task discovered on its queue,
 * payload, options), naming its place in the tree (`children[1].children[0]`) in any error,
 * and gives each job its id up front: a parent lists its children by id, in order, for
 * `ctx.childResults()`. Nothing is sent.
 */
export async function prepareFlow(
  lookups: FlowLookup,
  queue: string,
  flow: TaskFlow,
): Promise<PreparedFlow> {
  return prepareNode(lookups, queue, flow, 'the root job', new Set(), false);
}

async function prepareNode(
  lookups: FlowLookup,
  parentQueue: string,
  node: TaskFlow,
  where: string,
  ancestors: Set<object>,
  isChild: boolean,
): Promise<PreparedFlow> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new InvalidOptionsError(flowMessages.invalidFlowNode(where, node));
  }
  if (ancestors.has(node)) throw new InvalidOptionsError(flowMessages.flowCycle(where));
  const unknown = Object.keys(node).find((field) => !FIELDS.has(field));
  if (unknown) throw new InvalidOptionsError(flowMessages.unknownFlowField(where, unknown));
  const { name, payload, options, children = [] } = node;
  const queue = node.queue ?? parentQueue;
  if (!Array.isArray(children)) {
    throw new InvalidOptionsError(flowMessages.flowChildrenNotArray(where, children));
  }
  if (options && 'key' in options && options.key !== undefined) {
    throw new InvalidOptionsError(flowMessages.flowKey(where, String(name)));
  }
  const job = await inPlace(where, async () => {
    if (typeof name !== 'string')
      throw new InvalidOptionsError(flowMessages.invalidFlowNode(where, node));
    refuseTransaction(name, 'enqueueFlow', options);
    return prepareJob(lookups.lookupOf(queue), queue, name, payload, options);
  });
  ancestors.add(node);
  const prepared: PreparedFlow[] = [];
  for (const [index, child] of children.entries()) {
    const at = `${where === 'the root job' ? '' : `${where}.`}children[${index}]`;
    prepared.push(await prepareNode(lookups, queue, child, at, ancestors, true));
  }
  ancestors.delete(node);
  const opts: TaskJobOptions = { ...job.opts, jobId: randomUUID() };
  // A child that fails for good fails its parent, which then never runs.
  if (isChild) opts.failParentOnFailure = true;
  if (prepared.length) opts.taskChildren = prepared.map((child) => childRef(child.queue, child.id));
  return { id: opts.jobId!, queue, job: { ...job, opts }, children: prepared };
}

/** Runs `check`, putting `where` in front of the message of an enqueue error it throws. */
async function inPlace<T>(where: string, check: () => Promise<T> | T): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const type = ENQUEUE_ERRORS.find((known) => error instanceof known);
    if (!type || !(error instanceof Error) || error.message.startsWith('enqueueFlow:')) throw error;
    throw new type(flowMessages.inFlow(where, error.message), { cause: error });
  }
}

/** @internal How many jobs `flow` has, its root included. */
export const flowSize = ({ children }: PreparedFlow): number =>
  children.reduce((size, child) => size + flowSize(child), 1);
