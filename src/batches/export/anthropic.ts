/**
 * Results as Anthropic Message Batches result lines:
 * `{custom_id, result: {type: succeeded, message} | {type: errored, error} | {type: canceled} | {type: expired}}`.
 * `error` is Anthropic's error response `{type: "error", error: {type, message}, request_id}`.
 */
import type { ResultRecord } from '../results.ts';

export type AnthropicBatchResult =
  | { type: 'succeeded'; message: unknown }
  | { type: 'errored'; error: { type: 'error'; error: { type: AnthropicErrorType; message: string }; request_id: string | null } }
  | { type: 'canceled' }
  | { type: 'expired' };

export interface AnthropicResultLine {
  custom_id: string;
  result: AnthropicBatchResult;
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

const errorTypes: Readonly<Record<string, AnthropicErrorType>> = {
  invalid_request: 'invalid_request_error',
  context_length: 'invalid_request_error',
  content_filter: 'invalid_request_error',
  auth: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  rate_limited: 'rate_limit_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
};

export function toAnthropicResultLine(record: ResultRecord): AnthropicResultLine {
  const custom_id = record.custom_id;
  if (record.status === 'succeeded' && record.response) return { custom_id, result: { type: 'succeeded', message: record.response.body } };
  if (record.status === 'cancelled') return { custom_id, result: { type: 'canceled' } };
  if (record.status === 'expired') return { custom_id, result: { type: 'expired' } };
  const type = errorTypes[record.error?.kind ?? ''] ?? 'api_error';
  const error = {
    type: 'error' as const,
    error: { type, message: record.error?.message ?? 'failed' },
    request_id: record.response?.request_id ?? null,
  };
  return { custom_id, result: { type: 'errored', error } };
}
