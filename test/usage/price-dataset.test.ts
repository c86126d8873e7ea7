/**
 * Costs from the price dataset (@pydantic/genai-prices) and the user's price file. The expected
 * prices are the providers' list prices per million tokens, written out here (checked against the
 * providers' price pages), not read from the code under test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.ts';
import { providers } from '../../src/providers/index.ts';
import { costOf, loadPrices, type PricedUsage } from '../../src/usage/prices.ts';
import { promptClass, promptClassBoundaries } from '../../src/batches/prompt-class.ts';
import { tempDir } from '../helpers/files.ts';

/** [relayq provider, model as a line names it, input, output, cache read] in USD per million tokens. */
const listPrices: [string, string, number, number, number][] = [
  ['anthropic', 'claude-opus-4-6', 5, 25, 0.5],
  ['anthropic', 'claude-opus-4-5-20251101', 5, 25, 0.5],
  ['anthropic', 'claude-opus-4-1-20250805', 15, 75, 1.5],
  ['anthropic', 'claude-sonnet-4-6', 3, 15, 0.3],
  ['anthropic', 'claude-sonnet-4-5-20250929', 3, 15, 0.3],
  ['anthropic', 'claude-sonnet-4-20250514', 3, 15, 0.3],
  ['anthropic', 'claude-haiku-4-5-20251001', 1, 5, 0.1],
  ['anthropic', 'claude-3-5-haiku-20241022', 0.8, 4, 0.08],
  ['anthropic', 'claude-3-haiku-20240307', 0.25, 1.25, 0.03],
  ['openai', 'gpt-5', 1.25, 10, 0.125],
  ['openai', 'gpt-5-mini', 0.25, 2, 0.025],
  ['openai', 'gpt-5-nano', 0.05, 0.4, 0.005],
  ['openai', 'gpt-5.1', 1.25, 10, 0.125],
  ['openai', 'gpt-5.2', 1.75, 14, 0.175],
  ['openai', 'gpt-4.1', 2, 8, 0.5],
  ['openai', 'gpt-4.1-mini', 0.4, 1.6, 0.1],
  ['openai', 'gpt-4.1-nano', 0.1, 0.4, 0.025],
  ['openai', 'gpt-4o', 2.5, 10, 1.25],
  ['openai', 'gpt-4o-mini', 0.15, 0.6, 0.075],
  ['openai', 'o3', 2, 8, 0.5],
  ['openai', 'o4-mini', 1.1, 4.4, 0.275],
  ['openai', 'text-embedding-3-small', 0.02, 0, 0.02],
  ['gemini', 'gemini-2.5-pro', 1.25, 10, 0.125],
  ['gemini', 'gemini-2.5-flash', 0.3, 2.5, 0.03],
  ['gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 0.01],
  ['gemini', 'gemini-2.0-flash', 0.1, 0.4, 0.025],
  ['gemini', 'gemini-3-pro-preview', 2, 12, 0.2],
  ['gemini', 'gemini-3-flash-preview', 0.5, 3, 0.05],
  ['azure-openai', 'gpt-4o', 2.5, 10, 1.25],
  ['azure-openai', 'gpt-4o-mini', 0.15, 0.6, 0.075],
  ['azure-openai', 'gpt-4.1', 2, 8, 0.5],
  ['azure-openai', 'gpt-5', 1.25, 10, 0.125],
  // Bedrock: in-region and geographic (us., eu.) ids cost 10% more than global ones for Claude 4.5+.
  ['bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0', 3.3, 16.5, 0.33],
  ['bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 3.3, 16.5, 0.33],
  ['bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 3, 15, 0.3],
  ['bedrock', 'us.anthropic.claude-haiku-4-5-20251001-v1:0', 1.1, 5.5, 0.11],
  ['bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 3, 15, 0.3],
  ['bedrock', 'amazon.nova-pro-v1:0', 0.8, 3.2, 0.2],
  ['bedrock', 'amazon.nova-lite-v1:0', 0.06, 0.24, 0.015],
];

const day = '2026-12-01';
/** One request: 10,000 fresh prompt tokens, 4,000 read from the cache, 2,000 out. */
const oneRequest = (provider: string, model: string): PricedUsage => ({
  provider,
  model,
  requests: 1,
  input_tokens: 10_000,
  cache_read_tokens: 4_000,
  cache_write_tokens: 0,
  output_tokens: 2_000,
  day,
});
const cents = (dollars: number) => Math.round(dollars * 100 * 1e6) / 1e6;

describe('costs from the price dataset', () => {
  it.each(listPrices)('%s %s costs its list price', async (provider, model, input, output, cacheRead) => {
    const prices = await loadPrices('');
    // A thousand such requests, so cents show the difference of any price.
    const usage = {
      ...oneRequest(provider, model),
      requests: 1000,
      input_tokens: 10_000_000,
      cache_read_tokens: 4_000_000,
      output_tokens: 2_000_000,
    };
    const expected = (10_000_000 * input + 4_000_000 * cacheRead + 2_000_000 * output) / 1e6;
    const costing = costOf(prices, usage);
    expect(costing).toEqual({ cost: expect.any(Number), source: 'dataset' });
    expect(cents(costing.cost ?? Number.NaN)).toBeCloseTo(cents(expected), 6);
  });

  it('models no source knows have an unknown cost with the reason, never a guess', async () => {
    const prices = await loadPrices('');
    for (const [provider, model] of [
      ['anthropic', 'claude-opus-9-9'],
      ['openai', 'gpt-9-ultra'],
      ['gemini', 'text-embedding-004'],
      ['bedrock', 'acme.unknown-model-v1:0'],
    ] as const) {
      const costing = costOf(prices, oneRequest(provider, model));
      expect(costing.cost).toBeNull();
      expect(costing).toHaveProperty('reason', expect.stringContaining(`"${model}"`));
    }
  });

  it('prices a long prompt at its long-context tier, request by request, as the dataset does', async () => {
    const prices = await loadPrices('');
    // Sonnet 4.5 above 200k prompt tokens: $6 in, $22.50 out for the whole request.
    const long = {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      requests: 3,
      input_tokens: 3 * 250_000,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      output_tokens: 3 * 1_000,
      day,
    };
    expect(promptClass(250_000)).toBe('>200000');
    expect(costOf(prices, long).cost).toBeCloseTo((750_000 * 6 + 3_000 * 22.5) / 1e6, 10);
    // The same tokens in three requests of 100k stay at the base price.
    const short = { ...long, requests: 3, input_tokens: 3 * 100_000 };
    expect(costOf(prices, short).cost).toBeCloseTo((300_000 * 3 + 3_000 * 15) / 1e6, 10);
    // Equal to the dataset's own price of one request, times three.
    const single = calcPrice({ input_tokens: 250_000, output_tokens: 1_000 }, 'claude-sonnet-4-5', { providerId: 'anthropic' });
    expect(costOf(prices, long).cost).toBeCloseTo(3 * (single?.total_price ?? Number.NaN), 10);
    // Gemini 2.5 Pro above 200k: $2.50 in, $15 out.
    const gemini = { ...long, provider: 'gemini', model: 'gemini-2.5-pro', requests: 1, input_tokens: 300_000, output_tokens: 1_000 };
    expect(costOf(prices, gemini).cost).toBeCloseTo((300_000 * 2.5 + 1_000 * 15) / 1e6, 10);
  });

  it('counts cached prompt tokens once, at the cache prices', async () => {
    const prices = await loadPrices('');
    // claude-opus-4-6: 1,000 fresh at $5, 500 cache reads at $0.50, 200 cache writes (5 minutes) at $6.25, 10 out at $25.
    const usage = {
      provider: 'anthropic',
      model: 'claude-opus-4-6',
      requests: 1,
      input_tokens: 1_000,
      cache_read_tokens: 500,
      cache_write_tokens: 200,
      output_tokens: 10,
      day,
    };
    expect(costOf(prices, usage).cost).toBeCloseTo((1_000 * 5 + 500 * 0.5 + 200 * 6.25 + 10 * 25) / 1e6, 12);
  });

  it('has a prompt size class boundary at every tier start the dataset has for the five providers', () => {
    const starts = new Set<number>();
    for (const module of providers) {
      for (const model of findProvider({ providerId: module.priceProvider })?.models ?? []) {
        const variants = Array.isArray(model.prices) ? model.prices.map((entry) => entry.prices) : [model.prices];
        for (const variant of variants)
          for (const value of Object.values(variant)) if (typeof value === 'object') for (const tier of value.tiers) starts.add(tier.start);
      }
    }
    expect(starts.size).toBeGreaterThan(0);
    expect([...starts].filter((start) => !(promptClassBoundaries as readonly number[]).includes(start))).toEqual([]);
  });

  it('a price file wins entry by entry; the rest comes from the dataset; a bad one names the field', async () => {
    const file = join(tempDir('relayq-prices'), 'prices.yaml');
    writeFileSync(
      file,
      'models:\n  - { match: "gpt-4o*", input: 1, output: 2 }\n  - { match: "*claude-haiku-4-5*", provider: bedrock, input: 0.5, output: 1 }\n  - { match: "house-model", input: 0.1, output: 0.2 }\n',
    );
    const prices = await loadPrices(file);
    const usage = (provider: string, model: string) => ({ ...oneRequest(provider, model), cache_read_tokens: 0 });
    expect(costOf(prices, usage('openai', 'gpt-4o-mini'))).toEqual({ cost: (10_000 * 1 + 2_000 * 2) / 1e6, source: 'price file' });
    expect(costOf(prices, usage('bedrock', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'))).toEqual({
      cost: (10_000 * 0.5 + 2_000 * 1) / 1e6,
      source: 'price file',
    });
    // Only Bedrock's haiku is overridden; Anthropic's own comes from the dataset ($1 / $5).
    const direct = costOf(prices, usage('anthropic', 'claude-haiku-4-5'));
    expect(direct).toEqual({ cost: expect.any(Number), source: 'dataset' });
    expect(direct.cost).toBeCloseTo((10_000 * 1 + 2_000 * 5) / 1e6, 12);
    expect(costOf(prices, usage('openai', 'house-model')).cost).toBeCloseTo((10_000 * 0.1 + 2_000 * 0.2) / 1e6, 12);
    writeFileSync(file, 'models:\n  - { match: "x", input: "cheap", output: 2 }\n');
    await expect(loadPrices(file)).rejects.toThrow(ConfigError);
    await expect(loadPrices(file)).rejects.toThrow(/models\[0\]\.input/);
    writeFileSync(file, 'currency: EUR\nmodels: []\n');
    await expect(loadPrices(file)).rejects.toThrow(/USD/);
  });
});
