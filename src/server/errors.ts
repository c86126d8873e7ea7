/**
 * relayq's own error body, `{"error": {"type", "message"}}`, used by `/api` and by the routes
 * outside any face (`/healthz`, `/readyz`, unknown paths). The faces answer in their providers'
 * shapes with their own handlers. No answer ever carries a stack trace.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from '../log.ts';

export type ApiErrorType =
  | 'invalid_request'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'internal_error'
  | 'unavailable';

const statusOfType: Record<ApiErrorType, number> = {
  invalid_request: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
  unavailable: 503,
};

/** An error a route throws on purpose: its status, type and a message for the caller. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly type: ApiErrorType,
    message: string,
  ) {
    super(message);
    this.statusCode = statusOfType[type];
  }
}

export interface ErrorBody {
  error: { type: ApiErrorType; message: string };
}

/** The status, type and message a thrown error answers with (zod validation, Fastify's own, ApiError, a bug). */
export function classifyError(error: unknown): { status: number; type: ApiErrorType; message: string } {
  if (error instanceof ApiError) return { status: error.statusCode, type: error.type, message: error.message };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => {
      const where = `${error.validationContext ?? 'request'}${issue.instancePath ? issue.instancePath.replaceAll('/', '.') : ''}`;
      return `${where}: ${issue.message}`;
    });
    return { status: 400, type: 'invalid_request', message: issues.join('; ') };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type: ApiErrorType =
      status === 401
        ? 'authentication_error'
        : status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : status === 404
              ? 'not_found'
              : 'invalid_request';
    return { status, type, message: fastifyError.message ?? 'bad request' };
  }
  return { status: 500, type: 'internal_error', message: 'internal error (the server log has the details)' };
}

/** A Fastify error handler answering in relayq's shape; 5xx errors are logged with their stack. */
export function nativeErrorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, type, message } = classifyError(error);
    if (status >= 500) logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    const body: ErrorBody = { error: { type, message } };
    // The rest of an oversized body is not read: the connection ends with the answer.
    if (status === 413) void reply.header('connection', 'close');
    void reply.code(status).type('application/json').send(body);
  };
}
