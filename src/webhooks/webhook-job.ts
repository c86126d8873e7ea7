/**
 * The webhook job as the rest of relayq sees it (`jobs/webhook/` builds on this): queue
 * "webhook" carries two kinds of job. An `event` job (job id = the event id, so queueing the
 * same batch end twice adds nothing) records the event and fans it out into one `delivery` job
 * per target (job id = event id + target). A delivery is retried on the Standard Webhooks
 * schedule with the same `webhook-id`.
 */
import { createHash } from 'node:crypto';
import type { BackoffStrategy, JobsOptions } from 'bullmq';
import { z } from 'zod';

export const webhookQueueName = 'webhook';
export const webhookBackoffType = 'relayq-webhook';

export const webhookJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), eventId: z.string().min(1), batchId: z.string().min(1) }),
  z.object({
    kind: z.literal('delivery'),
    eventId: z.string().min(1),
    target: z.string().min(1),
    url: z.string().min(1),
    endpointId: z.string().nullable(),
  }),
]);
export type WebhookJob = z.infer<typeof webhookJobSchema>;
export type DeliveryJob = Extract<WebhookJob, { kind: 'delivery' }>;

/**
 * Delays before attempts 2 to 10 (Standard Webhooks: at once, then 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 14 h, 20 h, 24 h).
 */
export const retryScheduleMs = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000];
export const deliveryAttempts = retryScheduleMs.length + 1;
/** Up to ±10 % of each delay, so receivers that fail together are not retried together. */
const jitter = 0.1;
/** A receiver's retry-after is honoured up to a day. */
const maxRetryAfterMs = 86_400_000;

/** The delay before the attempt after `attemptsMade` failed ones: retry-after when given, else the schedule with jitter. */
export function retryDelayMs(attemptsMade: number, retryAfterMs: number | null, random = Math.random): number {
  if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, 1_000), maxRetryAfterMs);
  const base = retryScheduleMs[Math.min(Math.max(attemptsMade, 1), retryScheduleMs.length) - 1] as number;
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

/** Thrown by a failed delivery that will be tried again, carrying the delay already chosen (and logged). */
export class DeliveryRetry extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'DeliveryRetry';
  }
}

export const webhookBackoff: BackoffStrategy = (attemptsMade, _type, error) =>
  error instanceof DeliveryRetry ? error.delayMs : retryDelayMs(attemptsMade, null);

/** Completed webhook jobs are kept a week: queueing the same event again within it is a no-op. */
const keptMs = { age: 7 * 24 * 3600 };

export function eventJobOptions(eventId: string): JobsOptions & { jobId: string } {
  return {
    jobId: eventId,
    attempts: 20,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: keptMs,
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

export function deliveryJobOptions(jobId: string): JobsOptions & { jobId: string } {
  return {
    jobId,
    attempts: deliveryAttempts,
    backoff: { type: webhookBackoffType },
    removeOnComplete: keptMs,
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

/** The target id of a URL given at submit, or of a registered endpoint. */
export function targetOf(input: { url: string; endpointId: string | null }): string {
  return input.endpointId ?? `url_${createHash('sha256').update(input.url).digest('hex').slice(0, 16)}`;
}

export function deliveryJobId(eventId: string, target: string, redelivery?: number): string {
  return redelivery === undefined ? `${eventId}.${target}` : `${eventId}.${target}.r${redelivery}`;
}
