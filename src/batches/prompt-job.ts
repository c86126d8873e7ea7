/**
 * The prompt job as the rest of relayq sees it: the queue it goes through, what it carries, its
 * BullMQ options and its id. `jobs/prompt/` (the job type's home, with its processor) builds on
 * this; code under `src/` imports it from here, never from `jobs/`.
 */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { providerNameSchema } from '../config/schema.ts';

/** The BullMQ queue prompt jobs go through. */
export const promptQueueName = 'prompt';

/** The backoff type the worker's backoff strategy answers for (see src/worker/backoff.ts). */
export const promptBackoffType = 'relayq';

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

/**
 * Every prompt job ends with a result in the batch's results hash, so BullMQ's own copy of a
 * finished job is removed at once; failed jobs (only unexpected internal errors end there) are
 * kept a week for inspection.
 */
export function promptJobOptions(attempts: number): JobsOptions {
  return {
    attempts,
    backoff: { type: promptBackoffType },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * The job id of a prompt: the batch id and the custom_id, so submitting the same line twice
 * adds no second job. base64url keeps BullMQ's reserved ":" out of it.
 */
export function promptJobId(batchId: string, customId: string): string {
  return `${batchId}.${Buffer.from(customId, 'utf8').toString('base64url')}`;
}
