/**
 * zod schemas for what the Anthropic Messages API sends back: the message body, stream events
 * and the error body. Objects are loose so fields this file does not name survive into
 * `ExecuteResult.body` unchanged.
 */
import { z } from 'zod';

export const anthropicUsageSchema = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** Any content block; the specific schemas below narrow the ones relayq reads. */
export const anthropicContentBlockSchema = z.looseObject({ type: z.string() });
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

export const anthropicTextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

export const anthropicToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

export const anthropicMessageSchema = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(anthropicContentBlockSchema),
  stop_reason: z.string().nullable(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsageSchema,
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

export const anthropicErrorBodySchema = z.looseObject({
  type: z.literal('error'),
  error: z.looseObject({ type: z.string(), message: z.string() }),
  request_id: z.string().nullish(),
});
export type AnthropicErrorBody = z.infer<typeof anthropicErrorBodySchema>;

// ---- stream events ----

export const messageStartEventSchema = z.looseObject({
  type: z.literal('message_start'),
  message: anthropicMessageSchema,
});

export const contentBlockStartEventSchema = z.looseObject({
  type: z.literal('content_block_start'),
  index: z.number().int().nonnegative(),
  content_block: anthropicContentBlockSchema,
});

/** `text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`, `citations_delta`, ... */
export const contentBlockDeltaSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  partial_json: z.string().optional(),
  thinking: z.string().optional(),
  signature: z.string().optional(),
  citation: z.unknown().optional(),
});
export type AnthropicContentBlockDelta = z.infer<typeof contentBlockDeltaSchema>;

export const contentBlockDeltaEventSchema = z.looseObject({
  type: z.literal('content_block_delta'),
  index: z.number().int().nonnegative(),
  delta: contentBlockDeltaSchema,
});

export const contentBlockStopEventSchema = z.looseObject({
  type: z.literal('content_block_stop'),
  index: z.number().int().nonnegative(),
});

export const messageDeltaEventSchema = z.looseObject({
  type: z.literal('message_delta'),
  /** `stop_reason`, `stop_sequence`, and whatever else changes at message level. */
  delta: z.looseObject({
    stop_reason: z.string().nullish(),
    stop_sequence: z.string().nullish(),
  }),
  /** Cumulative counts; `output_tokens` always, the input/cache counts on newer API versions. */
  usage: z.looseObject({ output_tokens: z.number() }).partial(),
});

export const messageStopEventSchema = z.looseObject({ type: z.literal('message_stop') });
export const pingEventSchema = z.looseObject({ type: z.literal('ping') });
export const errorEventSchema = anthropicErrorBodySchema;

export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  messageStartEventSchema,
  contentBlockStartEventSchema,
  contentBlockDeltaEventSchema,
  contentBlockStopEventSchema,
  messageDeltaEventSchema,
  messageStopEventSchema,
  pingEventSchema,
  errorEventSchema,
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;

/** Event types the API may add later are skipped, as Anthropic's versioning policy asks. */
export const knownStreamEventTypes: ReadonlySet<string> = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);
