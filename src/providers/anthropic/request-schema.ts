/** The parts of an Anthropic Messages body that must hold before it is worth sending. */
import { z } from 'zod';

export const anthropicRequestBodySchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() })).min(1),
});
