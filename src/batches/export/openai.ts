/**
 * Results as OpenAI Batch output and error file lines:
 * `{id, custom_id, response: {status_code, request_id, body} | null, error: {code, message} | null}`.
 * Succeeded prompts go to the output file; every other one to the error file: an upstream HTTP
 * error keeps its status under `response` (the body in OpenAI's error shape), a prompt that got no
 * answer has `response: null` and an `error` code (`batch_cancelled`, `batch_expired`,
 * `request_timeout`, or relayq's error kind).
 */
import { createHash } from 'node:crypto';
import type { ResultRecord } from '../results.ts';

export interface OpenAIBatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

const openAiErrorTypes: Readonly<Record<string, string>> = {
  invalid_request: 'invalid_request_error',
  context_length: 'invalid_request_error',
  content_filter: 'invalid_request_error',
  auth: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  rate_limited: 'rate_limit_error',
  overloaded: 'server_error',
  server: 'server_error',
};

/** A stable id per (batch, custom_id), in OpenAI's `batch_req_` style. */
export function openAiRequestLineId(batchId: string, customId: string): string {
  return `batch_req_${createHash('sha256').update(`${batchId}\u0000${customId}`).digest('hex').slice(0, 24)}`;
}

export function toOpenAIBatchLine(record: ResultRecord, batchId: string): { line: OpenAIBatchOutputLine; isError: boolean } {
  const id = openAiRequestLineId(batchId, record.custom_id);
  const requestId = record.response?.request_id ?? `req_${id.slice('batch_req_'.length)}`;
  if (record.status === 'succeeded' && record.response) {
    const response = { status_code: record.response.status_code, request_id: requestId, body: record.response.body };
    return { line: { id, custom_id: record.custom_id, response, error: null }, isError: false };
  }
  const message = record.error?.message ?? record.status;
  if (record.status === 'cancelled' || record.status === 'expired') {
    const code = record.status === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
    return { line: { id, custom_id: record.custom_id, response: null, error: { code, message } }, isError: true };
  }
  const kind = record.error?.kind ?? 'internal';
  const statusCode = record.error?.status_code ?? null;
  if (statusCode !== null) {
    const body = { error: { message, type: openAiErrorTypes[kind] ?? 'server_error', param: null, code: kind } };
    return {
      line: { id, custom_id: record.custom_id, response: { status_code: statusCode, request_id: requestId, body }, error: null },
      isError: true,
    };
  }
  const code = kind === 'timeout' ? 'request_timeout' : kind;
  return { line: { id, custom_id: record.custom_id, response: null, error: { code, message } }, isError: true };
}
