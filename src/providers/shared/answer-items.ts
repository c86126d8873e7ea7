/**
 * Reading the parts of an answer body the same way in every response mapper: the items of one
 * `type` in a list of typed items (Anthropic's content blocks, the Responses API's output items),
 * and a provider's finish reason in relayq's terms.
 */
import type { z } from 'zod';
import type { UnifiedFinishReason } from '../../executors/types.ts';

/**
 * The items of `type` that `schema` reads, in order; the others are skipped. The type is checked
 * before the schema: a failed safeParse builds an error, and most items are of another type.
 */
export function itemsOfType<T>(items: readonly { type: string }[], type: string, schema: z.ZodType<T>): T[] {
  const found: T[] = [];
  for (const item of items) {
    if (item.type !== type) continue;
    const parsed = schema.safeParse(item);
    if (parsed.success) found.push(parsed.data);
  }
  return found;
}

/** The unified finish reason a provider's table gives `raw`; `other` for none or one it does not list. */
export function unifiedFinishReason(
  table: Readonly<Record<string, UnifiedFinishReason>>,
  raw: string | null,
): UnifiedFinishReason {
  return (raw !== null ? table[raw] : undefined) ?? 'other';
}
