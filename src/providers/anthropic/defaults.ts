/** The batch's `--max-tokens` / `--system` in Anthropic Messages terms: `max_tokens` and `system`. */
import type { JsonObject } from '../../executors/types.ts';
import type { BodyDefaults } from '../types.ts';

export function fillAnthropicDefaults(body: JsonObject, defaults: BodyDefaults): JsonObject {
  const out = { ...body };
  if (out.max_tokens === undefined && defaults.maxTokens !== undefined) out.max_tokens = defaults.maxTokens;
  if (out.system === undefined && defaults.system !== undefined) out.system = defaults.system;
  return out;
}
