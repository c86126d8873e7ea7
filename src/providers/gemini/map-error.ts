/**
 * Gemini error answers → ProviderError. Google errors are `{error: {code, message, status,
 * details}}`; the kind comes from `status` (the google.rpc.Code name), else from the HTTP
 * status, refined by `details` (a bad API key is a 400 INVALID_ARGUMENT with an ErrorInfo
 * reason API_KEY_INVALID) and by the message (a prompt over the context window). The same body
 * can arrive as a frame inside a 200 stream.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ProviderError, kindForStatus, type ErrorKind } from '../../executors/errors.ts';
import { parseDuration, retryAfterMs as retryAfterOf } from '../shared/rate-limits.ts';
import { pickGeminiHeaders } from './api.ts';
import { geminiErrorBodySchema, geminiErrorInfoSchema, geminiRetryInfoSchema, type GeminiErrorBody } from './schemas.ts';
import { parseBody, summarizeText, accountPrefix, unreadableResponseError, type UnreadableResponseOptions } from '../shared/error-body.ts';

const provider = 'gemini';

const kindByRpcStatus: ReadonlyMap<string, ErrorKind> = new Map([
  ['INVALID_ARGUMENT', 'invalid_request'],
  // "User location is not supported", "free tier not available in your country", ...
  ['FAILED_PRECONDITION', 'invalid_request'],
  ['OUT_OF_RANGE', 'invalid_request'],
  ['UNIMPLEMENTED', 'invalid_request'],
  ['UNAUTHENTICATED', 'auth'],
  ['PERMISSION_DENIED', 'permission'],
  ['NOT_FOUND', 'not_found'],
  ['RESOURCE_EXHAUSTED', 'rate_limited'],
  ['ABORTED', 'server'],
  ['INTERNAL', 'server'],
  ['UNKNOWN', 'server'],
  ['DATA_LOSS', 'server'],
  ['UNAVAILABLE', 'overloaded'],
  ['DEADLINE_EXCEEDED', 'timeout'],
]);

const kindByHttpStatus: ReadonlyMap<number, ErrorKind> = new Map([
  [503, 'overloaded'],
  [504, 'timeout'],
]);

/** ErrorInfo reasons that mean the credentials themselves are wrong, whatever the status. */
const authReasons: ReadonlySet<string> = new Set([
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_TYPE_UNSUPPORTED',
  'CREDENTIALS_MISSING',
]);

/** "The input token count (1228117) exceeds the maximum number of tokens allowed (1048576)." */
const contextLengthPattern =
  /input token count.*exceeds the maximum number of tokens|exceeds the maximum number of tokens allowed|context (window|length) (is )?exceeded/i;

export interface GeminiHttpErrorInput {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  /** The response body as text. */
  bodyText: string;
  accountId?: string;
}

export function mapGeminiHttpError(input: GeminiHttpErrorInput): ProviderError {
  const rawBody = parseBody(input.bodyText);
  const parsed = geminiErrorBodySchema.safeParse(rawBody);
  const errorBody = parsed.success ? parsed.data : undefined;
  const headerDelay = retryAfterOf(input.headers);
  return buildError({
    httpStatus: input.status,
    statusCode: input.status,
    errorBody,
    rawBody,
    fallbackText: input.bodyText,
    headers: pickGeminiHeaders(input.headers),
    headerRetryAfterMs: headerDelay,
    accountId: input.accountId,
    where: '',
  });
}

/** An `{error: ...}` frame that arrived inside a 200 stream. */
export function mapGeminiStreamError(body: GeminiErrorBody, options: { statusCode?: number; accountId?: string } = {}): ProviderError {
  return buildError({
    httpStatus: body.error.code,
    statusCode: options.statusCode,
    errorBody: body,
    rawBody: body,
    fallbackText: '',
    headers: {},
    headerRetryAfterMs: undefined,
    accountId: options.accountId,
    where: 'error in stream: ',
  });
}

interface BuildInput {
  /** The status that classifies the error: the HTTP status, or `error.code` inside a stream. */
  httpStatus: number | undefined;
  /** The HTTP status of the response, for the error's statusCode. */
  statusCode: number | undefined;
  errorBody: GeminiErrorBody | undefined;
  rawBody: unknown;
  fallbackText: string;
  headers: Record<string, string>;
  headerRetryAfterMs: number | undefined;
  accountId: string | undefined;
  where: string;
}

function buildError(input: BuildInput): ProviderError {
  const error = input.errorBody?.error;
  const rpcStatus = error?.status;
  const httpStatus = input.httpStatus;
  let kind: ErrorKind =
    (rpcStatus !== undefined ? kindByRpcStatus.get(rpcStatus) : undefined) ??
    (httpStatus !== undefined ? (kindByHttpStatus.get(httpStatus) ?? kindForStatus(httpStatus)) : 'server');

  const reason = errorInfoReason(error?.details);
  if (reason !== undefined && authReasons.has(reason)) kind = 'auth';
  else if (kind === 'invalid_request' && error?.message !== undefined && /API key not valid/i.test(error.message)) {
    kind = 'auth';
  } else if (kind === 'invalid_request' && error?.message !== undefined && contextLengthPattern.test(error.message)) {
    kind = 'context_length';
  }

  const retryAfterMs = retryDelayMs(error?.details) ?? input.headerRetryAfterMs;
  const code = error?.code ?? httpStatus;
  const what = error
    ? [code, rpcStatus].filter((value) => value !== undefined).join(' ') +
      (error.message ? `: ${error.message}` : '') +
      (reason ? ` (reason ${reason})` : '')
    : `${httpStatus ?? ''} ${summarizeText(input.fallbackText)}`.trim();
  return new ProviderError({
    kind,
    provider,
    message: `${accountPrefix(provider, input.accountId)}${input.where}${what}`,
    statusCode: input.statusCode,
    rawBody: input.rawBody,
    headers: input.headers,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** The `retryDelay` of a google.rpc.RetryInfo detail, in milliseconds. */
export function retryDelayMs(details: readonly unknown[] | undefined): number | undefined {
  for (const detail of details ?? []) {
    const parsed = geminiRetryInfoSchema.safeParse(detail);
    if (parsed.success) {
      const ms = parseDuration(parsed.data.retryDelay);
      if (ms !== undefined) return ms;
    }
  }
  return undefined;
}

function errorInfoReason(details: readonly unknown[] | undefined): string | undefined {
  for (const detail of details ?? []) {
    const parsed = geminiErrorInfoSchema.safeParse(detail);
    if (parsed.success && parsed.data.reason !== undefined) return parsed.data.reason;
  }
  return undefined;
}

/** A 2xx answer relayq could not read (not JSON, or not a GenerateContentResponse). Retrying may help. */
export function malformedResponseError(detail: string, options: UnreadableResponseOptions): ProviderError {
  return unreadableResponseError(provider, detail, options);
}
