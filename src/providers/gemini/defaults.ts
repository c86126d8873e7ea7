/**
 * The batch's `--max-tokens` / `--system` in Gemini terms: `generationConfig.maxOutputTokens` and
 * `systemInstruction`. An EmbedContentRequest takes neither (Gemini refuses them on `:embedContent`).
 */
import type { JsonObject } from '../../executors/types.ts';
import type { BodyDefaults } from '../types.ts';
import { geminiEmbedEndpoint, isGeminiEmbedBody } from './request-schema.ts';

export function fillGeminiDefaults(body: JsonObject, defaults: BodyDefaults, endpoint?: string): JsonObject {
  if (endpoint === geminiEmbedEndpoint || isGeminiEmbedBody(body)) return body;
  const out = { ...body };
  if (defaults.maxTokens !== undefined) {
    const config = isObject(out.generationConfig) ? out.generationConfig : {};
    if (config.maxOutputTokens === undefined) out.generationConfig = { ...config, maxOutputTokens: defaults.maxTokens };
  }
  if (out.systemInstruction === undefined && defaults.system !== undefined) out.systemInstruction = { parts: [{ text: defaults.system }] };
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
