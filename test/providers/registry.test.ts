import { describe, expect, it } from 'vitest';
import { createExecutorRegistry, NoExecutorError } from '../../src/executors/registry.ts';
import { AnthropicExecutor } from '../../src/providers/anthropic/executor.ts';

describe('createExecutorRegistry', () => {
  const registry = createExecutorRegistry({ accounts: () => [] });

  it('serves the anthropic executor', () => {
    expect(registry.has('anthropic')).toBe(true);
    expect(registry.get('anthropic')).toBeInstanceOf(AnthropicExecutor);
    expect(registry.get('anthropic')).toBe(registry.get('anthropic'));
    expect(registry.providers()).toContain('anthropic');
  });

  it('serves every provider relayq knows', () => {
    expect(registry.providers().sort()).toEqual(['anthropic', 'azure-openai', 'bedrock', 'gemini', 'openai']);
  });

  it('names the available providers when asked for a missing one', () => {
    const empty = { ...registry };
    const error = new NoExecutorError('nope', ['anthropic', 'gemini']);
    expect(error.message).toBe('no executor for provider "nope"; executors exist for: anthropic, gemini');
    expect(() => empty.get('nope' as never)).toThrow(NoExecutorError);
  });
});
