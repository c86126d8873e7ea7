/**
 * The parts of a Gemini GenerateContentRequest that must hold before it is worth sending
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

export const geminiRequestSchema = z.looseObject({
  /** The model goes in the URL; relayq removes this field before sending. */
  model: z.string().min(1).optional(),
  contents: z.array(geminiContentSchema).min(1, 'at least one content is required'),
  systemInstruction: z.looseObject({ parts: z.array(geminiPartSchema).min(1) }).optional(),
  generationConfig: geminiGenerationConfigSchema.optional(),
  tools: z.array(z.looseObject({})).optional(),
  safetySettings: z
    .array(z.looseObject({ category: z.string().min(1), threshold: z.string().min(1) }))
    .optional(),
});
export type GeminiRequest = z.infer<typeof geminiRequestSchema>;
