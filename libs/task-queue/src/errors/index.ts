export { InvalidPayloadError } from './invalid-payload.error.js';
export { RedisUnavailableError } from './redis-unavailable.error.js';
export { TaskDefinitionError } from './task-definition.error.js';
export { TaskFailedError } from './task-failed.error.js';
export { TaskQueueConfigError } from './task-queue-config.error.js';
export { TaskWaitTimeoutError } from './task-wait-timeout.error.js';
export { UnknownQueueError } from './unknown-queue.error.js';
export { UnknownTaskError } from './unknown-task.error.js';
