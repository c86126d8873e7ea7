/** Claude's usage rules, the same on Anthropic and on Bedrock. */
import type { ProviderModule } from '../types.ts';

export const claudeUsageRules: ProviderModule['usage'] = {
  // Cache reads do not count against Claude's input-token limits.
  limitedInput: (usage) => usage.inputTokens + usage.cacheWrite,
  // Thinking tokens are part of output_tokens, not reported apart.
  reasoningTokens: () => 0,
};
