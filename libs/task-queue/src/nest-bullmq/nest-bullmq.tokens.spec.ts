import { describe, expect, it } from '@jest/globals';
import { getQueueToken, getSharedConfigToken } from '@nestjs/bullmq';
import {
  NEST_BULL_SHARED_CONFIG_TOKEN,
  nestBullQueueToken,
  queueOfNestBullToken,
} from './nest-bullmq.tokens.js';

describe('the tokens of @nestjs/bullmq, spelled without importing it', () => {
  it('are the ones @nestjs/bullmq injects', () => {
    for (const queue of ['default', 'emails', 'a.b-c_d']) {
      expect(nestBullQueueToken(queue)).toBe(getQueueToken(queue));
      expect(queueOfNestBullToken(getQueueToken(queue))).toBe(queue);
    }
    expect(NEST_BULL_SHARED_CONFIG_TOKEN).toBe(getSharedConfigToken());
    expect(queueOfNestBullToken(getSharedConfigToken())).toBeUndefined();
    expect(queueOfNestBullToken(Symbol('BullQueue_x'))).toBeUndefined();
  });
});
