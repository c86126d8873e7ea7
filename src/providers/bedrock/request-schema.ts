/**
 * What an input line's body must hold before it is worth sending to Bedrock: an Anthropic
 * Messages body whose `model` may be left out (the line's model names the Bedrock model id).
 * Bedrock's own fields (`anthropic_version`, `anthropic_beta`) may be present already.
 */
import { z } from 'zod';

export const bedrockRequestBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() })).min(1),
  anthropic_version: z.string().min(1).optional(),
  anthropic_beta: z.array(z.string().min(1)).optional(),
});
export type BedrockRequestBody = z.infer<typeof bedrockRequestBodySchema>;
