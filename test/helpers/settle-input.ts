/** A settle call's input for tests: a plain success on `accountId`, with the fields a test changes. */
import { noRateLimits } from '../../src/providers/shared/rate-limits.ts';
import type { SettleInput } from '../../src/scheduler/settlement.ts';

export function settleInput(accountId: string, overrides: Partial<SettleInput> = {}): SettleInput {
  return {
    accountId,
    leaseId: null,
    outcome: 'ok',
    chargedInput: 0,
    reservedOutput: 0,
    actualInput: -1,
    actualOutput: -1,
    cooldownMs: 0,
    message: '',
    observedRpm: 0,
    limits: noRateLimits,
    fresh: true,
    ...overrides,
  };
}
