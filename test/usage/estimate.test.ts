import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { estimateFile, estimateTokens } from '../../src/usage/estimate.ts';
import { loadPrices } from '../../src/usage/prices.ts';
import { tempDir, writePromptFile } from '../helpers/files.ts';

describe('submit --dry-run estimate', () => {
  it('counts prompts, estimates tokens and the most they can cost, and names the accounts that would serve them', async () => {
    const config = parseConfig({
      accounts: [
        { id: 'claude-main', provider: 'anthropic', apiKey: 'k', models: ['claude-*'] },
        { id: 'claude-off', provider: 'anthropic', apiKey: 'k', enabled: false },
      ],
    }, {});
    const text = 'x'.repeat(400);
    const file = writePromptFile(tempDir('relayq-estimate'), [
      JSON.stringify({ custom_id: 'a', params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] } }),
      JSON.stringify({ custom_id: 'b', params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] } }),
      JSON.stringify({ custom_id: 'b', params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] } }),
      JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', max_completion_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } }),
    ]);
    const estimate = await estimateFile(file, { accounts: config.accounts, prices: await loadPrices(''), routing: [] });
    expect(estimate).toMatchObject({ lines: 4, prompts: 3, rejected: 1, input_format: 'anthropic-batch' });
    expect(estimate.rejects[0]).toMatchObject({ line: 3, error: 'duplicate custom_id "b"' });
    const claude = estimate.groups.find((group) => group.model === 'claude-sonnet-4-5');
    const perPrompt = estimateTokens(JSON.stringify([{ role: 'user', content: text }]));
    expect(claude).toMatchObject({ provider: 'anthropic', prompts: 2, input_tokens: 2 * perPrompt, max_output_tokens: 2000, accounts: ['claude-main'] });
    expect(claude?.max_cost).toBeCloseTo((2 * perPrompt * 3 + 2000 * 15) / 1_000_000, 12);
    expect(estimate.groups.find((group) => group.model === 'gpt-4o')).toMatchObject({ provider: 'openai', prompts: 1, accounts: [] });
  });
});
