import { describe, expect, it } from 'vitest';
import { createExecutorRegistry, NoExecutorError } from '../../src/executors/registry.ts';
import { AnthropicExecutor } from '../../src/providers/anthropic/executor.ts';

describe('createExecutorRegistry', () => {
  const registry = createExecutorRegistry({ accounts: () => [] });

  it('serves the anthropic executor', () => {
    expect(registry.has('anthropic')).toBe(true);
    expect(registry.get('anthropic')).toBeInstanceOf(AnthropicExecutor);
    expect(registry.get('anthropic')).toBe(registry.get('anthropic'));
    expect(registry.providers()).toEqual(['anthropic']);
  });

  it('names the available providers when asked for a missing one', () => {
    expect(registry.has('openai')).toBe(false);
    expect(() => registry.get('openai')).toThrow(NoExecutorError);
    expect(() => registry.get('openai')).toThrow('no executor for provider "openai"; executors exist for: anthropic');
  });
});
