/**
 * The batch's `--max-tokens` / `--system` in OpenAI terms: Chat Completions
 * `max_completion_tokens` and a leading system message; Responses `max_output_tokens` and
 * `instructions`; Embeddings take neither.
 */
import type { JsonObject } from '../../executors/types.ts';
import type { BodyDefaults } from '../types.ts';

export function fillOpenAIDefaults(body: JsonObject, defaults: BodyDefaults, endpoint?: string): JsonObject {
  if (endpoint === '/v1/embeddings') return body;
  const responses = endpoint === '/v1/responses' || (endpoint === undefined && 'input' in body && !('messages' in body));
  return responses ? fillResponsesBody(body, defaults) : fillChatBody(body, defaults);
}

function fillChatBody(body: JsonObject, defaults: BodyDefaults): JsonObject {
  const out = { ...body };
  if (out.max_tokens === undefined && out.max_completion_tokens === undefined && defaults.maxTokens !== undefined) {
    out.max_completion_tokens = defaults.maxTokens;
  }
  if (defaults.system !== undefined && Array.isArray(out.messages)) {
    const messages = out.messages as unknown[];
    const hasSystem = messages.some((message) => isObject(message) && (message.role === 'system' || message.role === 'developer'));
    if (!hasSystem) out.messages = [{ role: 'system', content: defaults.system }, ...messages];
  }
  return out;
}

function fillResponsesBody(body: JsonObject, defaults: BodyDefaults): JsonObject {
  const out = { ...body };
  if (out.max_output_tokens === undefined && defaults.maxTokens !== undefined) out.max_output_tokens = defaults.maxTokens;
  if (out.instructions === undefined && defaults.system !== undefined) out.instructions = defaults.system;
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
