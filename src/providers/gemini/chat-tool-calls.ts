/**
 * Gemini's side of a `chat.completion` made from its answer: each function call's thought
 * signature, carried as `extra_content.google.thought_signature` (as Gemini's OpenAI-compatible
 * API gives it), so a later turn can send it back (see from-openai-chat.ts).
 */
import type { JsonObject } from '../../executors/types.ts';

/** The `extra_content` of each functionCall part of the first candidate, in order (undefined where it has no signature). */
export function geminiChatToolCallExtras(body: JsonObject): (JsonObject | undefined)[] {
  const candidates = body.candidates;
  if (!Array.isArray(candidates)) return [];
  const parts = (candidates[0] as { content?: { parts?: unknown } } | undefined)?.content?.parts;
  if (!Array.isArray(parts)) return [];
  const extras: (JsonObject | undefined)[] = [];
  for (const part of parts as Record<string, unknown>[]) {
    if (part === null || typeof part !== 'object' || part.functionCall === undefined) continue;
    extras.push(typeof part.thoughtSignature === 'string' ? { google: { thought_signature: part.thoughtSignature } } : undefined);
  }
  return extras;
}
