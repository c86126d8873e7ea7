/**
 * relayq's batch as Anthropic's MessageBatch object: `processing_status` in_progress, canceling
 * or ended, `request_counts`, RFC 3339 times, and `results_url` (absolute, under the server's
 * public URL) once the batch ended, null before.
 */
import type { BatchInfo } from '../../batches/batch-store.ts';
import { isTerminal } from '../../batches/status.ts';

export function hasEnded(batch: BatchInfo): boolean {
  return isTerminal(batch.status) && batch.counts.pending === 0;
}

export function toMessageBatch(batch: BatchInfo, publicUrl: string) {
  const ended = hasEnded(batch);
  const { counts } = batch;
  return {
    id: batch.id,
    type: 'message_batch' as const,
    processing_status: ended ? ('ended' as const) : batch.status === 'cancelling' ? ('canceling' as const) : ('in_progress' as const),
    request_counts: {
      processing: counts.pending,
      succeeded: counts.succeeded,
      errored: counts.errored,
      canceled: counts.cancelled,
      expired: counts.expired,
    },
    ended_at: ended ? (batch.completed_at ?? batch.cancelled_at ?? batch.expired_at ?? batch.failed_at) : null,
    created_at: batch.created_at,
    expires_at: batch.expires_at ?? new Date(Date.parse(batch.created_at) + 24 * 3600 * 1000).toISOString(),
    archived_at: null,
    cancel_initiated_at: batch.cancelling_at,
    results_url: ended ? `${publicUrl}/v1/messages/batches/${batch.id}/results` : null,
  };
}
