/**
 * zod schemas for what the OpenAI API (and Azure OpenAI, which answers in the same shapes) sends
 * back: chat.completion bodies and chunks, Responses objects and stream events, error bodies.
 * Objects are loose so fields this file does not name (Azure's content filter results, logprobs,
 * annotations, ...) survive into `ExecuteResult.body` unchanged.
 */
import { z } from 'zod';

const count = z.number();

// ---- Chat Completions ----

export const openaiChatUsageSchema = z.looseObject({
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count.optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: count.nullish(), cache_write_tokens: count.nullish() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: count.nullish() }).nullish(),
});
export type OpenAIChatUsage = z.infer<typeof openaiChatUsageSchema>;

export const openaiToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/** The legacy single `function_call` of older models and api-versions. */
export const openaiFunctionCallSchema = z.looseObject({ name: z.string(), arguments: z.string() });

export const openaiChatMessageSchema = z.looseObject({
  role: z.string(),
  content: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(openaiToolCallSchema).nullish(),
  function_call: openaiFunctionCallSchema.nullish(),
});
export type OpenAIChatMessage = z.infer<typeof openaiChatMessageSchema>;

export const openaiChatChoiceSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  message: openaiChatMessageSchema,
  finish_reason: z.string().nullish(),
});

export const openaiChatCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(openaiChatChoiceSchema),
  usage: openaiChatUsageSchema.nullish(),
});
export type OpenAIChatCompletion = z.infer<typeof openaiChatCompletionSchema>;

export const openaiToolCallDeltaSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
export type OpenAIToolCallDelta = z.infer<typeof openaiToolCallDeltaSchema>;

export const openaiChunkDeltaSchema = z.looseObject({
  role: z.string().nullish(),
  content: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(openaiToolCallDeltaSchema).nullish(),
  function_call: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
export type OpenAIChunkDelta = z.infer<typeof openaiChunkDeltaSchema>;

export const openaiChunkChoiceSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  /** Azure sends choices without a delta that only carry content filter results. */
  delta: openaiChunkDeltaSchema.optional(),
  finish_reason: z.string().nullish(),
  logprobs: z.unknown().optional(),
});
export type OpenAIChunkChoice = z.infer<typeof openaiChunkChoiceSchema>;

/** One `chat.completion.chunk`. Azure's first chunk has empty `id`, `model` and `object`. */
export const openaiChatChunkSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(openaiChunkChoiceSchema),
  usage: openaiChatUsageSchema.nullish(),
});
export type OpenAIChatChunk = z.infer<typeof openaiChatChunkSchema>;

// ---- errors ----

/** `{error: {message, type, param, code}}`; Azure's `code` may be a number-like string ("429"). */
export const openaiErrorObjectSchema = z.looseObject({
  message: z.string().nullish(),
  type: z.string().nullish(),
  param: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});
export type OpenAIErrorObject = z.infer<typeof openaiErrorObjectSchema>;

export const openaiErrorBodySchema = z.looseObject({ error: openaiErrorObjectSchema });
export type OpenAIErrorBody = z.infer<typeof openaiErrorBodySchema>;

// ---- Responses ----

export const openaiResponsesUsageSchema = z.looseObject({
  input_tokens: count,
  output_tokens: count,
  total_tokens: count.optional(),
  input_tokens_details: z.looseObject({ cached_tokens: count.nullish(), cache_write_tokens: count.nullish() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: count.nullish() }).nullish(),
});
export type OpenAIResponsesUsage = z.infer<typeof openaiResponsesUsageSchema>;

export const openaiOutputItemSchema = z.looseObject({ type: z.string() });
export type OpenAIOutputItem = z.infer<typeof openaiOutputItemSchema>;

export const openaiMessageItemSchema = z.looseObject({
  type: z.literal('message'),
  content: z.array(z.looseObject({ type: z.string() })),
});

export const openaiOutputTextSchema = z.looseObject({ type: z.literal('output_text'), text: z.string() });

export const openaiFunctionCallItemSchema = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});

export const openaiResponseSchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  model: z.string().optional(),
  /** completed | incomplete | failed | in_progress | queued | cancelled */
  status: z.string().nullish(),
  output: z.array(openaiOutputItemSchema),
  usage: openaiResponsesUsageSchema.nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
export type OpenAIResponse = z.infer<typeof openaiResponseSchema>;

// ---- Responses stream events ----

const withResponse = <T extends string>(type: T) => z.looseObject({ type: z.literal(type), response: openaiResponseSchema });

export const responsesStreamEventSchema = z.discriminatedUnion('type', [
  withResponse('response.created'),
  withResponse('response.in_progress'),
  withResponse('response.completed'),
  withResponse('response.incomplete'),
  withResponse('response.failed'),
  z.looseObject({
    type: z.literal('response.output_item.added'),
    output_index: z.number().int().nonnegative(),
    item: openaiOutputItemSchema,
  }),
  z.looseObject({
    type: z.literal('response.output_text.delta'),
    output_index: z.number().int().nonnegative(),
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('response.function_call_arguments.delta'),
    output_index: z.number().int().nonnegative(),
    delta: z.string(),
  }),
  z.looseObject({
    type: z.literal('error'),
    code: z.string().nullish(),
    message: z.string().nullish(),
    param: z.string().nullish(),
  }),
]);
export type ResponsesStreamEvent = z.infer<typeof responsesStreamEventSchema>;

/** The event types relayq reads; the many others (`response.content_part.added`, ...) are skipped. */
export const knownResponsesEventTypes: ReadonlySet<string> = new Set([
  'response.created',
  'response.in_progress',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'response.output_item.added',
  'response.output_text.delta',
  'response.function_call_arguments.delta',
  'error',
]);

// ---- Embeddings ----

export const openaiEmbeddingUsageSchema = z.looseObject({
  prompt_tokens: count,
  total_tokens: count.optional(),
});

/** One vector: floats, or a base64 string when the request asked for `encoding_format: "base64"`. */
export const openaiEmbeddingSchema = z.looseObject({
  object: z.string().optional(),
  index: z.number().int().nonnegative(),
  embedding: z.union([z.array(z.number()), z.string()]),
});

/** The answer of `POST /v1/embeddings`: `{object: "list", data: [...], model, usage}`. */
export const openaiEmbeddingResponseSchema = z.looseObject({
  object: z.string().optional(),
  data: z.array(openaiEmbeddingSchema),
  model: z.string().optional(),
  usage: openaiEmbeddingUsageSchema.nullish(),
});
export type OpenAIEmbeddingResponse = z.infer<typeof openaiEmbeddingResponseSchema>;
