import { describe, expect, it } from 'vitest';
import { modelFamily, TokenEstimator } from '../../src/scheduler/estimate.ts';
import { defaultOutputReserve, maxOutputTokensOf, promptChars } from '../../src/usage/token-estimate.ts';
import { inputTokensOf } from '../../src/simulator/answer.ts';
import { providerModule } from '../../src/providers/index.ts';

const limitedInput = (provider: string, usage: Parameters<ReturnType<typeof providerModule>['usage']['limitedInput']>[0]): number =>
  providerModule(provider).usage.limitedInput(usage);

describe('call cost estimates', () => {
  it("reserves each provider format's max output tokens, or a default when the request sets none", () => {
    expect(maxOutputTokensOf({ max_tokens: 300 })).toBe(300);
    expect(maxOutputTokensOf({ max_completion_tokens: 200 })).toBe(200);
    expect(maxOutputTokensOf({ max_output_tokens: 100 })).toBe(100);
    expect(maxOutputTokensOf({ generationConfig: { maxOutputTokens: 50 } })).toBe(50);
    expect(maxOutputTokensOf({ messages: [] })).toBeUndefined();
    const estimator = new TokenEstimator();
    expect(estimator.estimate('openai', 'gpt-4o', { messages: [{ role: 'user', content: 'hi' }] }).outputTokens).toBe(defaultOutputReserve);
  });

  it('reserves no output for embeddings requests, and estimates their input', () => {
    const estimator = new TokenEstimator();
    const openai = estimator.estimate('openai', 'text-embedding-3-small', { input: 'some text to embed here' }, '/v1/embeddings');
    expect(openai.outputTokens).toBe(0);
    expect(openai.inputTokens).toBeGreaterThan(1);
    const gemini = estimator.estimate('gemini', 'gemini-embedding-001', { content: { parts: [{ text: 'some text to embed here' }] } });
    expect(gemini.outputTokens).toBe(0);
    expect(gemini.inputTokens).toBeGreaterThan(1);
    expect(estimator.estimate('gemini', 'gemini-embedding-001', { content: { parts: [] } }, ':embedContent').outputTokens).toBe(0);
    // The same body on the Responses endpoint, or with no endpoint, is a generation.
    expect(estimator.estimate('openai', 'gpt-4o', { input: 'hi' }, '/v1/responses').outputTokens).toBe(defaultOutputReserve);
    expect(estimator.estimate('openai', 'gpt-4o', { input: 'hi' }).outputTokens).toBe(defaultOutputReserve);
  });

  it('counts an inline image as an image, not as its base64 characters', () => {
    const image = 'A'.repeat(1_000_000);
    const body = { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: image } }] }] };
    expect(promptChars(body)).toBeLessThan(10_000);
  });

  it('calibrates the tokens-per-character ratio of a model family from actual usage', () => {
    const estimator = new TokenEstimator();
    const body = (i: number) => ({
      model: 'claude-x',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Question number ${i}: what is ${i} times ${i * 7}, and why?` }],
    });
    const family = modelFamily('anthropic', 'claude-sonnet-4-5');
    expect(family).toBe('anthropic:claude-sonnet');
    for (let i = 0; i < 30; i += 1) {
      const cost = estimator.estimate('anthropic', 'claude-sonnet-4-5', body(i));
      // The simulator's count stands in for the provider's usage report.
      estimator.calibrate(cost, inputTokensOf(body(i)));
    }
    const estimate = estimator.estimate('anthropic', 'claude-sonnet-4-5', body(1000)).inputTokens;
    const actual = inputTokensOf(body(1000));
    expect(Math.abs(estimate - actual) / actual).toBeLessThan(0.15);
  });
});

describe('input tokens that count against an input-token limit', () => {
  // The same call as each provider's mapper reports it: 100 fresh, 1,000 read from the cache, 50 written to it.
  const usage = { inputTokens: 100, outputTokens: 10, cacheRead: 1_000, cacheWrite: 50, raw: null };

  it('leave cache reads out for Anthropic and Claude on Bedrock', () => {
    expect(limitedInput('anthropic', usage)).toBe(150);
    expect(limitedInput('bedrock', usage)).toBe(150);
  });

  it('count the whole prompt for OpenAI, Azure OpenAI and Gemini', () => {
    for (const provider of ['openai', 'azure-openai', 'gemini'] as const) expect(limitedInput(provider, usage)).toBe(1_150);
  });
});
