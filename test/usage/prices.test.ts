import { describe, expect, it } from 'vitest';
import { loadPrices } from '../../src/usage/prices.ts';
import { buildUsageReport } from '../../src/usage/report.ts';
import { providerModule } from '../../src/providers/index.ts';
import type { UsageRow } from '../../src/usage/usage-store.ts';

describe('prices and cost', () => {
  it('groups usage rows by account, model, batch or day, with cost and the models it could not price', async () => {
    const prices = await loadPrices('');
    const row = (over: Partial<UsageRow>): UsageRow => ({
      day: '2025-06-01',
      batch: 'batch_a',
      provider: 'openai',
      account: 'acct-1',
      model: 'gpt-4o',
      requests: 1,
      input_tokens: 1_000_000,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      ...over,
    });
    const rows = [row({}), row({ account: 'acct-2', day: '2025-06-02' }), row({ model: 'mystery-1', batch: 'batch_b' })];
    const byAccount = buildUsageReport(rows, 'account', prices);
    expect(byAccount.groups.map((group) => [group.key, group.requests])).toEqual([
      ['acct-1', 2],
      ['acct-2', 1],
    ]);
    expect(byAccount.groups.find((group) => group.key === 'acct-2')?.cost).toBeCloseTo(2.5, 10);
    expect(byAccount.groups.find((group) => group.key === 'acct-1')).toMatchObject({
      cost: null,
      partial_cost: 2.5,
      unpriced_models: [{ provider: 'openai', model: 'mystery-1', reason: expect.stringContaining('"mystery-1"') }],
      unpriced_tokens: 1_000_000,
    });
    expect(buildUsageReport(rows, 'day', prices).groups.map((group) => group.key)).toEqual(['2025-06-01', '2025-06-02']);
    expect(buildUsageReport(rows, 'batch', prices).total).toMatchObject({
      requests: 3,
      input_tokens: 3_000_000,
      cost: null,
      partial_cost: 5,
      unpriced_tokens: 1_000_000,
    });
  });

  it('reads reasoning tokens from every provider body, through its module', () => {
    const reasoningTokensOf = (provider: string, body: Record<string, unknown>) => providerModule(provider).usage.reasoningTokens(body);
    expect(reasoningTokensOf('openai', { usage: { completion_tokens_details: { reasoning_tokens: 7 } } })).toBe(7);
    expect(reasoningTokensOf('openai', { usage: { output_tokens_details: { reasoning_tokens: 5 } } })).toBe(5);
    expect(reasoningTokensOf('azure-openai', { usage: { completion_tokens_details: { reasoning_tokens: 4 } } })).toBe(4);
    expect(reasoningTokensOf('gemini', { usageMetadata: { thoughtsTokenCount: 9 } })).toBe(9);
    expect(reasoningTokensOf('anthropic', { usage: { input_tokens: 3, output_tokens: 8 } })).toBe(0);
    expect(reasoningTokensOf('bedrock', { usage: { input_tokens: 3, output_tokens: 8 } })).toBe(0);
    expect(reasoningTokensOf('openai', { usage: { input_tokens: 3 } })).toBe(0);
  });
});
