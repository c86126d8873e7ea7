/**
 * The parts of a Gemini GenerateContentRequest (or EmbedContentRequest) that must hold before it is worth sending
 * (checked on every input line at submit time). Loose objects: fields this file does not name
 * (`toolConfig`, `cachedContent`, `labels`, ...) pass through to Gemini, which judges them.
 */
import { z } from 'zod';

/** One part: `text`, `inlineData`, `fileData`, `functionCall`, `functionResponse`, ... */
const geminiPartSchema = z.looseObject({ text: z.string().optional() });

export const geminiContentSchema = z.looseObject({
  /** Left out, Gemini takes the content as the user's (single-turn requests). */
  role: z.enum(['user', 'model']).optional(),
  parts: z.array(geminiPartSchema).min(1, 'a content needs at least one part'),
});

export const geminiGenerationConfigSchema = z.looseObject({
  maxOutputTokens: z.number().int().positive().optional(),
  /** Gemini accepts at most 5 stop sequences. */
  stopSequences: z.array(z.string()).max(5).optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.number().int().positive().optional(),
  candidateCount: z.number().int().positive().optional(),
});

export const geminiGenerateContentSchema = z.looseObject({
  /** The model goes in the URL; relayq removes this field before sending. */
  model: z.string().min(1).optional(),
  contents: z.array(geminiContentSchema).min(1, 'at least one content is required'),
  systemInstruction: z.looseObject({ parts: z.array(geminiPartSchema).min(1) }).optional(),
  generationConfig: geminiGenerationConfigSchema.optional(),
  tools: z.array(z.looseObject({})).optional(),
  safetySettings: z.array(z.looseObject({ category: z.string().min(1), threshold: z.string().min(1) })).optional(),
});
export type GeminiRequest = z.infer<typeof geminiGenerateContentSchema>;

/** The embedding task types Gemini names. */
export const geminiEmbeddingTaskTypes = [
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
] as const;

/** An EmbedContentRequest (`POST models/{model}:embedContent`): one `content` to embed. */
export const geminiEmbedContentSchema = z.looseObject({
  model: z.string().min(1).optional(),
  content: z.looseObject({ parts: z.array(geminiPartSchema).min(1, 'a content needs at least one part') }),
  taskType: z.enum(geminiEmbeddingTaskTypes).optional(),
  title: z.string().optional(),
  outputDimensionality: z.number().int().positive().optional(),
});
export type GeminiEmbedContentRequest = z.infer<typeof geminiEmbedContentSchema>;

/** The `endpoint` of a Gemini embedding request (a job's payload, an ExecuteRequest). */
export const geminiEmbedEndpoint = ':embedContent';

/** True for an EmbedContentRequest body: `content` and no `contents`. */
export function isGeminiEmbedBody(body: Record<string, unknown>): boolean {
  return 'content' in body && !('contents' in body);
}

/**
 * A GenerateContentRequest or an EmbedContentRequest, told apart by `contents` / `content`.
 * Issues carry the paths of the schema that applies, so a line report says which field is wrong.
 */
export const geminiRequestSchema = z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
  const schema = isGeminiEmbedBody(body) ? geminiEmbedContentSchema : geminiGenerateContentSchema;
  const checked = schema.safeParse(body);
  if (checked.success) return;
  for (const issue of checked.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
});
