import { describe, expect, it } from 'vitest';
import { AnthropicExecutor } from '../../src/providers/anthropic/executor.ts';
import { createExecutors, NoExecutorError, providerNames } from '../../src/providers/index.ts';

describe('createExecutors', () => {
  const executors = createExecutors({ accounts: () => [] });

  it('serves the anthropic executor', () => {
    expect(executors.has('anthropic')).toBe(true);
    expect(executors.get('anthropic')).toBeInstanceOf(AnthropicExecutor);
    expect(executors.get('anthropic')).toBe(executors.get('anthropic'));
    expect(executors.providers()).toContain('anthropic');
  });

  it('serves every provider relayq knows, one executor each, from the provider list', () => {
    expect(executors.providers().sort()).toEqual(['anthropic', 'azure-openai', 'bedrock', 'gemini', 'openai']);
    expect(executors.providers()).toEqual(providerNames);
    expect(new Set(providerNames.map((provider) => executors.get(provider))).size).toBe(providerNames.length);
  });

  it('names the available providers when asked for a missing one', () => {
    expect(executors.has('nope')).toBe(false);
    let thrown: unknown;
    try {
      executors.get('nope');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NoExecutorError);
    expect((thrown as Error).message).toBe(
      'no executor for provider "nope"; executors exist for: anthropic, openai, gemini, azure-openai, bedrock',
    );
  });
});
