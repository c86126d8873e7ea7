/** Anthropic's error body, `{"type": "error", "error": {"type", "message"}}`, with Anthropic's statuses and type names. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../log.ts';
import { classifyError } from '../errors.ts';

function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function anthropicErrorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, message } = classifyError(error);
    if (status >= 500) logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    if (status === 413) void reply.header('connection', 'close');
    void reply
      .code(status)
      .type('application/json')
      .send({ type: 'error', error: { type: anthropicType(status), message } });
  };
}
