import type { JobsOptions } from 'bullmq';

/** The BullMQ queue prompt jobs go through. */
export const promptQueueName = 'prompt';

/** The backoff type the worker's backoff strategy answers for (see src/worker/backoff.ts). */
export const promptBackoffType = 'relayq';

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
