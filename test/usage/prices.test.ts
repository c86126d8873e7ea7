import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.ts';
import { costOf, loadPrices, priceFor } from '../../src/usage/prices.ts';
import { buildUsageReport } from '../../src/usage/report.ts';
import { providerModule } from '../../src/providers/index.ts';
import type { UsageRow } from '../../src/usage/usage-store.ts';
import { tempDir } from '../helpers/files.ts';

const tokens = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_read_tokens: 0, cache_write_tokens: 0 };

describe('prices and cost', () => {
  it('finds list prices for the common models, longest names first, Bedrock ids included', async () => {
    const prices = await loadPrices('');
    expect(priceFor(prices, 'claude-sonnet-4-5-20250929')).toMatchObject({ input: 3, output: 15 });
    expect(priceFor(prices, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toMatchObject({ input: 3, output: 15 });
    expect(priceFor(prices, 'gpt-4o-mini-2024-07-18')).toMatchObject({ input: 0.15 });
    expect(priceFor(prices, 'gpt-4o')).toMatchObject({ input: 2.5 });
    expect(priceFor(prices, 'gemini-2.5-flash-lite')).toMatchObject({ input: 0.1 });
    expect(priceFor(prices, 'a-model-nobody-prices')).toBeUndefined();
    expect(costOf(prices, 'claude-haiku-4-5', tokens)).toBeCloseTo(6, 10);
  });

  it('charges each prompt token once, at the price of input, cache read or cache write', async () => {
    const prices = await loadPrices('');
    // Usage counts cached tokens apart from input_tokens for every provider (OpenAI's 1M-token
    // prompt with 400k cached arrives as 600k input + 400k cache read).
    const cached = { input_tokens: 600_000, output_tokens: 0, cache_read_tokens: 400_000, cache_write_tokens: 0 };
    // gpt-4o: 600k fresh at 2.50 + 400k cached at 1.25
    expect(costOf(prices, 'gpt-4o', cached)).toBeCloseTo(1.5 + 0.5, 10);
    // claude-sonnet-4-5: 600k fresh at 3 + 400k cache reads at 0.30 + 100k cache writes at 3.75
    expect(costOf(prices, 'claude-sonnet-4-5', { ...cached, cache_write_tokens: 100_000 })).toBeCloseTo(1.8 + 0.12 + 0.375, 10);
  });

  it('an override file wins over the shipped table, and a bad one names the field', async () => {
    const dir = tempDir('relayq-prices');
    const file = join(dir, 'prices.yaml');
    writeFileSync(file, 'models:\n  - { match: "gpt-4o*", input: 1, output: 2 }\n');
    const prices = await loadPrices(file);
    expect(priceFor(prices, 'gpt-4o')).toMatchObject({ input: 1, output: 2 });
    expect(priceFor(prices, 'claude-opus-4-5')).toMatchObject({ input: 5 });
    writeFileSync(file, 'models:\n  - { match: "x", input: "cheap", output: 2 }\n');
    await expect(loadPrices(file)).rejects.toThrow(ConfigError);
    await expect(loadPrices(file)).rejects.toThrow(/models\[0\]\.input/);
  });

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
      unpriced_models: ['mystery-1'],
    });
    expect(buildUsageReport(rows, 'day', prices).groups.map((group) => group.key)).toEqual(['2025-06-01', '2025-06-02']);
    expect(buildUsageReport(rows, 'batch', prices).total).toMatchObject({
      requests: 3,
      input_tokens: 3_000_000,
      cost: null,
      partial_cost: 5,
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
