/**
 * OpenAI (and Azure OpenAI) error answers → ProviderError. HTTP errors are classified by status,
 * then refined by `error.code` / `error.type`: a 400 `context_length_exceeded` is context_length,
 * a 400 `content_filter` (Azure) is content_filter, and a 429 `insufficient_quota` is a billing
 * stop (permission, not retryable), not a rate limit. An error inside a 200 stream has only its
 * code and type.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ProviderError, type ErrorKind } from '../../executors/errors.ts';
import type { ProviderName } from '../../executors/types.ts';
import { pickOpenAIHeaders } from './api.ts';
import { retryAfterMsOf } from './rate-limits.ts';
import { openaiErrorBodySchema, type OpenAIErrorObject } from './schemas.ts';
import { headerValue, parseBody, summarizeText } from '../shared/error-body.ts';

/**
 * The id of a provider that answers in OpenAI's error shapes: `openai`, or one built on it that
 * passes its own id (errors then name that provider).
 */
export type OpenAIFamilyProvider = ProviderName;

const kindByStatus: ReadonlyMap<number, ErrorKind> = new Map([
  [400, 'invalid_request'],
  [401, 'auth'],
  [403, 'permission'],
  [404, 'not_found'],
  [408, 'timeout'],
  // A conflict with a concurrent request; the official SDKs retry it.
  [409, 'server'],
  [413, 'context_length'],
  [422, 'invalid_request'],
  [429, 'rate_limited'],
  [500, 'server'],
  [503, 'overloaded'],
]);

/** Codes (and types) that say more than the status does, wherever they arrive. */
const kindByCode: ReadonlyMap<string, ErrorKind> = new Map([
  ['context_length_exceeded', 'context_length'],
  ['string_above_max_length', 'context_length'],
  ['content_filter', 'content_filter'],
  ['content_policy_violation', 'content_filter'],
  ['ResponsibleAIPolicyViolation', 'content_filter'],
  ['insufficient_quota', 'permission'],
  ['billing_hard_limit_reached', 'permission'],
  ['billing_not_active', 'permission'],
  ['invalid_api_key', 'auth'],
  ['model_not_found', 'not_found'],
  ['DeploymentNotFound', 'not_found'],
]);

/** What a code or type means inside a 200 stream, where there is no status to go by. */
const streamKindByCode: ReadonlyMap<string, ErrorKind> = new Map([
  ...kindByCode,
  ['rate_limit_exceeded', 'rate_limited'],
  ['requests', 'rate_limited'],
  ['tokens', 'rate_limited'],
  ['server_error', 'server'],
  ['internal_error', 'server'],
  ['overloaded', 'overloaded'],
  ['server_is_overloaded', 'overloaded'],
  ['invalid_request_error', 'invalid_request'],
  ['invalid_prompt', 'invalid_request'],
  ['authentication_error', 'auth'],
  ['permission_error', 'permission'],
]);

/** Codes no wait fixes: the account is out of credit until someone pays. */
const billingCodes: ReadonlySet<string> = new Set(['insufficient_quota', 'billing_hard_limit_reached', 'billing_not_active']);

const contextLengthPattern = /maximum context length|context_length_exceeded|context window/i;

export interface OpenAIHttpErrorInput {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  /** The response body as text. */
  bodyText: string;
  accountId?: string;
  /** Default `openai`. */
  provider?: OpenAIFamilyProvider;
  /** Added to the message, e.g. what to check when Azure answers 404. */
  hint?: string;
}

export function mapOpenAIHttpError(input: OpenAIHttpErrorInput): ProviderError {
  const { status } = input;
  const provider = input.provider ?? 'openai';
  const rawBody = parseBody(input.bodyText);
  const parsed = openaiErrorBodySchema.safeParse(rawBody);
  const error = parsed.success ? parsed.data.error : undefined;
  const codes = error === undefined ? [] : codesOf(error);

  let kind: ErrorKind = kindByStatus.get(status) ?? (status >= 500 ? 'server' : 'invalid_request');
  const refined = codes.map((code) => kindByCode.get(code)).find((found) => found !== undefined);
  const isBillingStop = codes.some((code) => billingCodes.has(code));
  if (isBillingStop) kind = 'permission';
  else if (refined !== undefined && (status === 400 || status === 404 || status === 401)) kind = refined;
  else if (kind === 'invalid_request' && error?.message && contextLengthPattern.test(error.message)) {
    kind = 'context_length';
  }

  const retryable = isBillingStop ? false : undefined;
  const retryAfterMs =
    isBillingStop || !isRetryableKind(kind)
      ? undefined
      : retryAfterMsOf(input.headers, status === 429 ? (error?.message ?? undefined) : undefined);
  const requestId = headerValue(input.headers, 'x-request-id') ?? headerValue(input.headers, 'apim-request-id');
  // Azure repeats the status as the code ("429"); that says nothing the status does not.
  const label = codes.find((code) => code !== String(status));
  const what = error ? `${label === undefined ? '' : `${label}: `}${error.message ?? '(no message)'}` : summarizeText(input.bodyText);
  return new ProviderError({
    kind,
    provider,
    message:
      `${prefix(provider, input.accountId)}${status} ${what}` +
      (requestId ? ` (request id ${requestId})` : '') +
      (input.hint ? `; ${input.hint}` : ''),
    statusCode: status,
    rawBody,
    headers: pickOpenAIHeaders(input.headers),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(retryable === undefined ? {} : { retryable }),
  });
}

/**
 * An error that arrived inside a 200 answer: a chat stream's `data: {"error": {...}}` frame, a
 * Responses stream's `error` event, or the `error` of a `response.failed`.
 */
export function mapOpenAIStreamError(
  error: OpenAIErrorObject,
  options: { statusCode?: number; accountId?: string; provider?: OpenAIFamilyProvider; rawBody?: unknown } = {},
): ProviderError {
  const provider = options.provider ?? 'openai';
  const codes = codesOf(error);
  let kind: ErrorKind = codes.map((code) => streamKindByCode.get(code)).find((found) => found !== undefined) ?? 'server';
  if (kind === 'invalid_request' && error.message && contextLengthPattern.test(error.message)) kind = 'context_length';
  const isBillingStop = codes.some((code) => billingCodes.has(code));
  const retryAfterMs = kind === 'rate_limited' ? retryAfterMsOf({}, error.message ?? undefined) : undefined;
  return new ProviderError({
    kind,
    provider,
    message: `${prefix(provider, options.accountId)}error in the stream: ` + `${codes[0] ?? 'error'}: ${error.message ?? '(no message)'}`,
    statusCode: options.statusCode,
    rawBody: options.rawBody ?? { error },
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(isBillingStop ? { retryable: false } : {}),
  });
}

/** A 2xx answer relayq could not read (not JSON, not the documented shape). Retrying may help. */
export function malformedResponseError(
  detail: string,
  options: {
    provider?: OpenAIFamilyProvider;
    statusCode?: number;
    rawBody?: unknown;
    accountId?: string;
    cause?: unknown;
  },
): ProviderError {
  const provider = options.provider ?? 'openai';
  return new ProviderError({
    kind: 'server',
    provider,
    message: `${prefix(provider, options.accountId)}unexpected response: ${detail}`,
    statusCode: options.statusCode,
    rawBody: options.rawBody,
    cause: options.cause,
  });
}

/** `code` first (more specific), then `type`, then Azure's `innererror.code`; as strings. */
function codesOf(error: OpenAIErrorObject): string[] {
  const codes: string[] = [];
  if (error.code !== null && error.code !== undefined && error.code !== '') codes.push(String(error.code));
  if (error.type) codes.push(error.type);
  const inner = (error as { innererror?: unknown }).innererror;
  if (typeof inner === 'object' && inner !== null) {
    const innerCode = (inner as { code?: unknown }).code;
    if (typeof innerCode === 'string' && innerCode !== '') codes.push(innerCode);
  }
  return codes;
}

function isRetryableKind(kind: ErrorKind): boolean {
  return kind === 'rate_limited' || kind === 'overloaded' || kind === 'server' || kind === 'timeout';
}

function prefix(provider: string, accountId: string | undefined): string {
  return accountId ? `${provider} account "${accountId}": ` : `${provider}: `;
}
