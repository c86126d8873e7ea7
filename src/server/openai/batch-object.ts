/**
 * relayq's batch as OpenAI's Batch object, field for field: OpenAI's status names, unix-second
 * timestamps, null for what is unset, `request_counts`, `errors` (the rejected input lines, with
 * their line numbers), `usage`, and the ids of the output and error files once the batch ended.
 */
import type { BatchInfo, BatchStatus, RejectedLine } from '../../batches/batch-store.ts';
import { isTerminal } from '../../batches/status.ts';

/** What `POST /v1/batches` was given, kept beside the batch. */
export interface OpenAiBatchRequest {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
}

const statusNames: Record<BatchStatus, string> = {
  validating: 'validating',
  in_progress: 'in_progress',
  paused: 'in_progress',
  finalizing: 'finalizing',
  completed: 'completed',
  failed: 'failed',
  cancelling: 'cancelling',
  cancelled: 'cancelled',
  expiring: 'in_progress',
  expired: 'expired',
};

const seconds = (iso: string | null): number | null => (iso === null ? null : Math.floor(Date.parse(iso) / 1000));

export function outputFileId(batchId: string): string {
  return `file-${batchId}-output`;
}

export function errorFileId(batchId: string): string {
  return `file-${batchId}-errors`;
}

/** The batch id and part of an output or error file id; null for other ids. */
export function resultFileOf(fileId: string): { batchId: string; part: 'output' | 'errors' } | null {
  const match = /^file-(batch_[a-z0-9]+)-(output|errors)$/.exec(fileId);
  return match ? { batchId: match[1] as string, part: match[2] as 'output' | 'errors' } : null;
}

export function toOpenAiBatch(batch: BatchInfo, request: OpenAiBatchRequest | null, rejects: readonly RejectedLine[]) {
  const ended = isTerminal(batch.status) && batch.counts.pending === 0;
  const { counts, usage } = batch;
  const unsuccessful = counts.errored + counts.cancelled + counts.expired;
  const metadata = { ...batch.metadata };
  return {
    id: batch.id,
    object: 'batch' as const,
    endpoint: request?.endpoint ?? '/v1/chat/completions',
    errors:
      rejects.length === 0
        ? null
        : {
            object: 'list' as const,
            data: rejects.map((reject) => ({
              code: 'invalid_request',
              message: reject.error,
              param: reject.custom_id === null ? null : 'custom_id',
              line: reject.line,
            })),
          },
    input_file_id: request?.input_file_id ?? '',
    completion_window: request?.completion_window ?? '24h',
    status: statusNames[batch.status],
    output_file_id: ended && counts.succeeded > 0 ? outputFileId(batch.id) : null,
    error_file_id: ended && unsuccessful > 0 ? errorFileId(batch.id) : null,
    created_at: seconds(batch.created_at) as number,
    in_progress_at: seconds(batch.started_at),
    expires_at: seconds(batch.expires_at),
    finalizing_at: seconds(batch.finalizing_at),
    completed_at: seconds(batch.completed_at),
    failed_at: seconds(batch.failed_at),
    expired_at: seconds(batch.expired_at),
    cancelling_at: seconds(batch.cancelling_at),
    cancelled_at: seconds(batch.cancelled_at),
    request_counts: { total: counts.total, completed: counts.succeeded, failed: unsuccessful },
    usage: {
      // OpenAI counts cached prompt tokens inside input_tokens; relayq keeps them apart.
      input_tokens: usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
      input_tokens_details: { cached_tokens: usage.cache_read_tokens },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
      total_tokens: usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens + usage.output_tokens,
    },
    metadata: Object.keys(metadata).length === 0 ? null : metadata,
  };
}

export type OpenAiBatch = ReturnType<typeof toOpenAiBatch>;
