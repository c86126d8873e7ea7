/**
 * Results as Gemini Batch output lines: `{key, response: GenerateContentResponse}` or
 * `{key, error: google.rpc.Status}` (`{code, message}` with a gRPC code).
 */
import type { ResultRecord } from '../results.ts';

export type GeminiResultLine = { key: string; response: unknown } | { key: string; error: { code: number; message: string } };

/** gRPC status codes per relayq error kind. */
const grpcCodes: Readonly<Record<string, number>> = {
  cancelled: 1,
  invalid_request: 3,
  context_length: 3,
  content_filter: 3,
  timeout: 4,
  not_found: 5,
  permission: 7,
  rate_limited: 8,
  overloaded: 14,
  auth: 16,
};

export function toGeminiResultLine(record: ResultRecord): GeminiResultLine {
  if (record.status === 'succeeded' && record.response) return { key: record.custom_id, response: record.response.body };
  const code = record.status === 'cancelled' ? 1 : record.status === 'expired' ? 4 : (grpcCodes[record.error?.kind ?? ''] ?? 13);
  return { key: record.custom_id, error: { code, message: record.error?.message ?? record.status } };
}
