import { describe, expect, it } from 'vitest';
import { activeStatuses, batchStatuses, isTerminal, runnableStatuses } from '../../src/batches/status.ts';

describe('batch statuses', () => {
  it('ends in exactly completed, failed, cancelled and expired', () => {
    expect(batchStatuses.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled', 'expired']);
  });

  it('dispatches prompts while validating, in progress or finalizing; cancels, pauses or expires before an end', () => {
    expect(runnableStatuses).toEqual(['validating', 'in_progress', 'finalizing']);
    expect(activeStatuses).toEqual(['validating', 'in_progress', 'paused']);
  });
});
