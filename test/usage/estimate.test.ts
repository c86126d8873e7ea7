import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { TokenEstimator } from '../../src/scheduler/estimate.ts';
import { estimateFile } from '../../src/usage/estimate.ts';
import { loadPrices } from '../../src/usage/prices.ts';
import { tempDir, writePromptFile } from '../helpers/files.ts';

describe('submit --dry-run estimate', () => {
  it('counts prompts, estimates tokens and the most they can cost, and names the accounts that would serve them', async () => {
    const config = parseConfig(
      {
        accounts: [
          { id: 'claude-main', provider: 'anthropic', apiKey: 'k', models: ['claude-*'] },
          { id: 'claude-off', provider: 'anthropic', apiKey: 'k', enabled: false },
        ],
      },
      {},
    );
    const text = 'x'.repeat(400);
    const file = writePromptFile(tempDir('relayq-estimate'), [
      JSON.stringify({
        custom_id: 'a',
        params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] },
      }),
      JSON.stringify({
        custom_id: 'b',
        params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] },
      }),
      JSON.stringify({
        custom_id: 'b',
        params: { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: text }] },
      }),
      JSON.stringify({
        custom_id: 'c',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o', max_completion_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      }),
    ]);
    const estimate = await estimateFile(file, { accounts: config.accounts, prices: await loadPrices(''), routing: [] });
    expect(estimate).toMatchObject({ lines: 4, prompts: 3, rejected: 1, input_format: 'anthropic-batch' });
    expect(estimate.rejects[0]).toMatchObject({ line: 3, error: 'duplicate custom_id "b"' });
    const claude = estimate.groups.find((group) => group.model === 'claude-sonnet-4-5');
    // `messages` as rough JSON: 8 + 3 for the field, [ ] 2 + 1, { } 2, role 4 + 4 + 6, content
    // 7 + 4 + 402: 443 characters, at 4 a token 111 tokens.
    const perPrompt = 111;
    expect(claude).toMatchObject({
      provider: 'anthropic',
      prompts: 2,
      input_tokens: 2 * perPrompt,
      max_output_tokens: 2000,
      accounts: ['claude-main'],
    });
    expect(claude?.max_cost).toBeCloseTo((2 * perPrompt * 3 + 2000 * 15) / 1_000_000, 12);
    expect(estimate.groups.find((group) => group.model === 'gpt-4o')).toMatchObject({ provider: 'openai', prompts: 1, accounts: [] });
  });

  it('estimates as the scheduler does before it has calibrated: the same fields, inline data as images, no output for embeddings', async () => {
    const config = parseConfig({ accounts: [{ id: 'o', provider: 'openai', apiKey: 'k' }] }, {});
    const chat = {
      model: 'gpt-4o',
      max_completion_tokens: 50,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(50_000)}` } }] }],
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    };
    const embeddings = { model: 'text-embedding-3-small', input: ['one', 'two'] };
    const file = writePromptFile(tempDir('relayq-estimate'), [
      JSON.stringify({ custom_id: 'chat', method: 'POST', url: '/v1/chat/completions', body: chat }),
      JSON.stringify({ custom_id: 'emb', method: 'POST', url: '/v1/embeddings', body: embeddings }),
    ]);
    const estimate = await estimateFile(file, { accounts: config.accounts, prices: await loadPrices(''), routing: [] });
    const scheduler = new TokenEstimator();
    for (const [model, body, endpoint] of [
      ['gpt-4o', chat, '/v1/chat/completions'],
      ['text-embedding-3-small', embeddings, '/v1/embeddings'],
    ] as const) {
      const cost = scheduler.estimate('openai', model, body, endpoint);
      expect(estimate.groups.find((group) => group.model === model)).toMatchObject({
        input_tokens: cost.inputTokens,
        max_output_tokens: cost.outputTokens,
      });
    }
    expect(estimate.groups.find((group) => group.model === 'text-embedding-3-small')?.max_output_tokens).toBe(0);
    // The image counts as one image (about 1,600 tokens), not as 50,000 base64 characters.
    expect(estimate.groups.find((group) => group.model === 'gpt-4o')?.input_tokens).toBeLessThan(2_000);
  });
});
