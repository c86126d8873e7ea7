/**
 * zod schemas for what the Gemini API sends back: GenerateContentResponse (the JSON answer and
 * every SSE chunk have this one shape) and the Google error body. Objects are loose so fields
 * this file does not name (safetyRatings, citationMetadata, groundingMetadata, ...) survive into
 * `ExecuteResult.body` unchanged.
 */
import { z } from 'zod';

export const geminiUsageSchema = z.looseObject({
  /** Includes the cached tokens (cachedContentTokenCount) when a cache was used. */
  promptTokenCount: z.number().optional(),
  /** Visible output; thought tokens are counted apart, in thoughtsTokenCount. */
  candidatesTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
  cachedContentTokenCount: z.number().optional(),
  toolUsePromptTokenCount: z.number().optional(),
  totalTokenCount: z.number().optional(),
});
export type GeminiUsage = z.infer<typeof geminiUsageSchema>;

/** Any part; the specific schemas below narrow the ones relayq reads. */
export const geminiPartSchema = z.looseObject({});
export type GeminiPart = z.infer<typeof geminiPartSchema>;

export const geminiTextPartSchema = z.looseObject({
  text: z.string(),
  /** True on thought summaries of thinking models: not part of the answer. */
  thought: z.boolean().optional(),
});

export const geminiFunctionCallPartSchema = z.looseObject({
  functionCall: z.looseObject({
    /** Set by Vertex AI and newer models; often absent. */
    id: z.string().optional(),
    name: z.string(),
    args: z.unknown().optional(),
  }),
});

export const geminiCandidateSchema = z.looseObject({
  /** Absent when generation stopped before any output (a SAFETY stop, say). */
  content: z.looseObject({ role: z.string().optional(), parts: z.array(geminiPartSchema).optional() }).optional(),
  finishReason: z.string().optional(),
  index: z.number().optional(),
});
export type GeminiCandidate = z.infer<typeof geminiCandidateSchema>;

/** Every field is optional on the wire, but a response without any of the three says nothing. */
export const geminiResponseSchema = z
  .looseObject({
    candidates: z.array(geminiCandidateSchema).optional(),
    promptFeedback: z.looseObject({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
    usageMetadata: geminiUsageSchema.optional(),
    modelVersion: z.string().optional(),
    responseId: z.string().optional(),
  })
  .refine(
    (response) => response.candidates !== undefined || response.promptFeedback !== undefined || response.usageMetadata !== undefined,
    { message: 'a GenerateContentResponse has candidates, promptFeedback or usageMetadata' },
  );
export type GeminiResponse = z.infer<typeof geminiResponseSchema>;

/** One entry of `error.details`: a google.rpc message named by its `@type`. */
export const geminiErrorDetailSchema = z.looseObject({ '@type': z.string().optional() });

export const geminiErrorSchema = z.looseObject({
  code: z.number().optional(),
  message: z.string().optional(),
  /** The google.rpc.Code name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, ... */
  status: z.string().optional(),
  details: z.array(geminiErrorDetailSchema).optional(),
});

/** `{error: {code, message, status, details}}`, as an HTTP error body or an SSE frame. */
export const geminiErrorBodySchema = z.looseObject({ error: geminiErrorSchema });
export type GeminiErrorBody = z.infer<typeof geminiErrorBodySchema>;

export const retryInfoType = 'type.googleapis.com/google.rpc.RetryInfo';
export const errorInfoType = 'type.googleapis.com/google.rpc.ErrorInfo';

export const geminiRetryInfoSchema = z.looseObject({
  '@type': z.literal(retryInfoType),
  /** A protobuf Duration in JSON: "30s", "1.5s". */
  retryDelay: z.string(),
});

export const geminiErrorInfoSchema = z.looseObject({
  '@type': z.literal(errorInfoType),
  reason: z.string().optional(),
  domain: z.string().optional(),
});

/**
 * The answer of `:embedContent`: `{embedding: {values}}`. Google sends no usage for it; a
 * gateway or a newer API version may add `usageMetadata`, which is then counted.
 */
export const geminiEmbedContentResponseSchema = z.looseObject({
  embedding: z.looseObject({ values: z.array(z.number()) }),
  usageMetadata: geminiUsageSchema.optional(),
});
export type GeminiEmbedContentResponse = z.infer<typeof geminiEmbedContentResponseSchema>;
