/**
 * Reading the parts of an answer body the same way in every response mapper: the items of one
 * `type` in a list of typed items (Anthropic's content blocks, the Responses API's output items),
 * a provider's finish reason in relayq's terms, and what a mapper is told of the answer besides
 * its body.
 */
import type { z } from 'zod';
import type { FinishReason, UnifiedFinishReason } from '../../executors/types.ts';

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

/** A provider's finish reasons (as it sends them) → relayq's unified finish reason. */
export type FinishReasonTable = Readonly<Record<string, UnifiedFinishReason>>;

/** What a response mapper is told of the answer besides its body: the status and the kept headers. */
export interface ResponseMeta {
  statusCode: number;
  headers: Record<string, string>;
}

/** A finish reason as sent (`raw`, null when none) with the unified reason the provider's table gives it. */
export function finishReasonFrom(table: FinishReasonTable, sent: string | null | undefined): FinishReason {
  const raw = sent ?? null;
  return { unified: unifiedFinishReason(table, raw), raw };
}

/** The unified finish reason a provider's table gives `raw`; `other` for none or one it does not list. */
export function unifiedFinishReason(table: FinishReasonTable, raw: string | null): UnifiedFinishReason {
  return (raw !== null ? table[raw] : undefined) ?? 'other';
}
