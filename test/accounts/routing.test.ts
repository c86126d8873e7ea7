/** The built-in model families come from the provider modules' `modelPatterns`, and never overlap. */
import { describe, expect, it } from 'vitest';
import { providerForModel } from '../../src/accounts/routing.ts';
import { providers } from '../../src/providers/index.ts';

const families: [string, string | undefined][] = [
  ['claude-sonnet-4-5', 'anthropic'],
  ['claude-3-5-haiku-20241022', 'anthropic'],
  ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'bedrock'],
  ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock'],
  ['global.anthropic.claude-haiku-4-5-20251001-v1:0', 'bedrock'],
  ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5', 'bedrock'],
  ['gemini-2.5-flash', 'gemini'],
  ['gemini-embedding-001', 'gemini'],
  ['text-embedding-004', 'gemini'],
  ['text-embedding-005', 'gemini'],
  ['text-embedding-3-small', 'openai'],
  ['text-embedding-ada-002', 'openai'],
  ['gpt-4o', 'openai'],
  ['o3-mini', 'openai'],
  ['chatgpt-4o-latest', 'openai'],
  ['llama-3.1-70b', undefined],
  ['mistral-large', undefined],
];

describe('model families', () => {
  it('route each family to its provider', () => {
    for (const [model, provider] of families) expect([model, providerForModel(model)]).toEqual([model, provider]);
  });

  it('match no model name for two providers', () => {
    for (const [model] of families) {
      const claimedBy = providers.filter((provider) => provider.modelPatterns.some((pattern) => pattern.test(model)));
      expect([model, claimedBy.length <= 1]).toEqual([model, true]);
    }
  });
});
