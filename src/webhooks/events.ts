/**
 * The events relayq sends when a batch ends, in OpenAI's webhook event shape
 * (`{"id":"evt_…","object":"event","type":"batch.completed","created_at":<unix s>,"data":{"id":"batch_…"}}`),
 * with relayq's status, counts, usage and where to fetch the results added inside `data`.
 */
import { newEventId, type BatchInfo, type BatchUsage } from '../batches/batch-store.ts';
import type { BatchStatus } from '../batches/status.ts';

export const webhookEventTypes = ['batch.completed', 'batch.failed', 'batch.cancelled', 'batch.expired'] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The event a batch that ended in this status sends; null for a status that is no end. */
export function eventTypeOf(status: BatchStatus | string): WebhookEventType | null {
  switch (status) {
    case 'completed':
      return 'batch.completed';
    case 'failed':
      return 'batch.failed';
    case 'cancelled':
      return 'batch.cancelled';
    case 'expired':
      return 'batch.expired';
    default:
      return null;
  }
}

export { newEventId };

export const eventIdPattern = /^evt_[a-z0-9]+$/;

export interface BatchEventData {
  id: string;
  status: BatchStatus;
  /** Unix seconds. */
  created_at: number;
  ended_at: number | null;
  /** OpenAI's batch request counts: completed = succeeded, failed = every other result. */
  request_counts: { total: number; completed: number; failed: number };
  /** relayq's own counts. */
  counts: BatchInfo['counts'];
  usage: BatchUsage;
  errors: Record<string, number>;
  metadata: Record<string, string>;
  /** Where to fetch the results. */
  results: { command: string };
}

export interface BatchEvent {
  id: string;
  object: 'event';
  type: WebhookEventType;
  /** Unix seconds: when the batch ended. */
  created_at: number;
  data: BatchEventData;
}

const seconds = (iso: string | null) => (iso === null ? null : Math.floor(Date.parse(iso) / 1000));

/** The time the batch reached its end status. */
export function endedAt(batch: BatchInfo): string | null {
  switch (batch.status) {
    case 'completed':
      return batch.completed_at;
    case 'failed':
      return batch.failed_at;
    case 'cancelled':
      return batch.cancelled_at;
    case 'expired':
      return batch.expired_at;
    default:
      return null;
  }
}

/** The event of a batch that ended; null while it has not. */
export function batchEvent(eventId: string, batch: BatchInfo): BatchEvent | null {
  const type = eventTypeOf(batch.status);
  if (type === null) return null;
  const ended = seconds(endedAt(batch));
  const { counts } = batch;
  return {
    id: eventId,
    object: 'event',
    type,
    created_at: ended ?? Math.floor(Date.now() / 1000),
    data: {
      id: batch.id,
      status: batch.status,
      created_at: seconds(batch.created_at) ?? 0,
      ended_at: ended,
      request_counts: { total: counts.total, completed: counts.succeeded, failed: counts.total - counts.pending - counts.succeeded },
      counts,
      usage: batch.usage,
      errors: batch.errors,
      metadata: batch.metadata,
      results: { command: `relayq results ${batch.id}` },
    },
  };
}

/**
 * The tenant of a batch: the one of the API key that made it (`relayq server`), else its `tenant`
 * tag (`relayq submit --tag tenant=NAME`), else none.
 */
export function tenantOf(batch: Pick<BatchInfo, 'metadata' | 'tenant'>): string | null {
  if (batch.tenant !== null && batch.tenant !== '') return batch.tenant;
  const tenant = batch.metadata.tenant;
  return typeof tenant === 'string' && tenant !== '' ? tenant : null;
}
