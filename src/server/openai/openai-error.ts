/**
 * OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, with OpenAI's statuses.
 * A 409 that retrying cannot fix carries `x-should-retry: false` (the SDK retries 409s otherwise).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../log.ts';
import { classifyError } from '../errors.ts';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI's error type and code for a status. */
function openAiKind(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 403) return { type: 'invalid_request_error', code: 'permission_denied' };
  if (status === 404) return { type: 'invalid_request_error', code: 'not_found' };
  if (status === 409) return { type: 'invalid_request_error', code: 'conflict' };
  if (status === 413) return { type: 'invalid_request_error', code: 'file_too_large' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

export function openAiErrorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, message } = classifyError(error);
    if (status >= 500) logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    const kind = openAiKind(status);
    const param = error instanceof Error && 'param' in error && typeof error.param === 'string' ? error.param : null;
    const body: OpenAiErrorBody = { error: { message, type: kind.type, param, code: kind.code } };
    if (status === 409) void reply.header('x-should-retry', 'false');
    if (status === 413) void reply.header('connection', 'close');
    void reply.code(status).type('application/json').send(body);
  };
}
