import { z } from 'zod';
import { providerNameSchema } from '../../src/config/schema.ts';

/** What one prompt job carries through the queue. */
export const promptJobSchema = z.object({
  batchId: z.string().min(1),
  customId: z.string().min(1),
  /** 1-based line number in the input file. */
  line: z.number().int().positive(),
  provider: providerNameSchema,
  model: z.string().min(1),
  /** The request body in the provider's own format. */
  body: z.record(z.string(), z.unknown()),
  /** Ask the provider for a streamed answer (long generations stay within response timeouts). */
  stream: z.boolean().default(false),
  /**
   * The shape of `body`: the provider's own (`native`), or OpenAI Chat Completions
   * (`openai-chat`), translated to the provider's format before the call and back after it.
   */
  format: z.enum(['native', 'openai-chat']).default('native'),
  /** The API path for providers with several (see ExecuteRequest.endpoint). */
  endpoint: z.string().optional(),
});

export type PromptJob = z.infer<typeof promptJobSchema>;
