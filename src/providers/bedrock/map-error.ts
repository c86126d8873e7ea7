/**
 * Bedrock error answers → ProviderError. The error type comes from the `x-amzn-errortype`
 * header (`ThrottlingException:http://internal.amazon.com/coral/...`), else the body's
 * `__type`; the message from the body's `{message}`. Exceptions inside a stream carry the same
 * names in lowerCamelCase (`throttlingException`), so types are matched case-insensitively.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ProviderError, kindForStatus, type ErrorKind } from '../../executors/errors.ts';
import { retryAfterMs as retryAfterOf } from '../shared/rate-limits.ts';
import { pickBedrockHeaders } from './api.ts';
import { bedrockErrorBodySchema, type BedrockErrorBody } from './schemas.ts';
import {
  parseBody,
  summarizeText,
  headerValue,
  accountPrefix,
  unreadableResponseError,
  type UnreadableResponseOptions,
} from '../shared/error-body.ts';

const provider = 'bedrock';

/** Lower-cased error type → kind. */
const kindByErrorType: ReadonlyMap<string, ErrorKind> = new Map([
  ['validationexception', 'invalid_request'],
  ['serializationexception', 'invalid_request'],
  ['unknownoperationexception', 'invalid_request'],
  ['unrecognizedclientexception', 'auth'],
  ['invalidsignatureexception', 'auth'],
  ['incompletesignatureexception', 'auth'],
  ['missingauthenticationtokenexception', 'auth'],
  ['expiredtokenexception', 'auth'],
  ['invalidclienttokenid', 'auth'],
  ['accessdeniedexception', 'permission'],
  ['resourcenotfoundexception', 'not_found'],
  ['throttlingexception', 'rate_limited'],
  ['toomanyrequestsexception', 'rate_limited'],
  ['servicequotaexceededexception', 'rate_limited'],
  // The model is being loaded: capacity, not quota, and it comes back by itself.
  ['modelnotreadyexception', 'overloaded'],
  ['internalserverexception', 'server'],
  ['internalfailure', 'server'],
  ['serviceunavailableexception', 'overloaded'],
  ['modeltimeoutexception', 'timeout'],
  ['modelerrorexception', 'server'],
  ['modelstreamerrorexception', 'server'],
]);

/** Bedrock's message for an API key (bearer token) it does not accept. */
const apiKeyRefusedPattern = /^Authentication failed\b/i;

/** Messages Bedrock and Anthropic use when the prompt does not fit the model's context window. */
const contextLengthPattern =
  /too long|prompt is too long|exceeds? (the )?(model'?s? )?context (window|limit|length)|max(imum)? context length/i;

export interface BedrockHttpErrorInput {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  /** The response body as text. */
  bodyText: string;
  accountId?: string;
}

export function mapBedrockHttpError(input: BedrockHttpErrorInput): ProviderError {
  const { status } = input;
  const rawBody = parseBody(input.bodyText);
  const parsed = bedrockErrorBodySchema.safeParse(rawBody);
  const errorBody = parsed.success ? parsed.data : undefined;
  const type = errorTypeOf(headerValue(input.headers, 'x-amzn-errortype'), errorBody);
  const message = errorBody ? messageOf(errorBody) : undefined;

  let kind = (type === undefined ? undefined : kindByErrorType.get(type.toLowerCase())) ?? fallbackKind(status);
  if (kind === 'invalid_request' && message !== undefined && contextLengthPattern.test(message)) {
    kind = 'context_length';
  }
  // Bedrock refuses a wrong or expired API key as AccessDeniedException too; it is the key, not a permission.
  if (kind === 'permission' && message !== undefined && apiKeyRefusedPattern.test(message)) {
    kind = 'auth';
  }
  const retryAfterMs = retryAfterOf(input.headers);
  const requestId = headerValue(input.headers, 'x-amzn-requestid');
  const what =
    type !== undefined || message !== undefined ? `${type ?? 'error'}: ${message ?? '(no message)'}` : summarizeText(input.bodyText);
  return new ProviderError({
    kind,
    provider,
    message: `${accountPrefix(provider, input.accountId)}${status} ${what}${requestId ? ` (x-amzn-requestid ${requestId})` : ''}`,
    statusCode: status,
    rawBody,
    headers: pickBedrockHeaders(input.headers),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * An exception event inside a 200 stream (`:exception-type` and its JSON payload). A
 * modelStreamErrorException carries the model's own status (`originalStatusCode`), which says
 * more than the exception's name: Anthropic's 529 overload becomes `overloaded`.
 */
export function mapBedrockStreamException(
  exceptionType: string,
  payload: unknown,
  options: { statusCode?: number; accountId?: string } = {},
): ProviderError {
  const parsed = bedrockErrorBodySchema.safeParse(payload);
  const body = parsed.success ? parsed.data : undefined;
  const message = body ? messageOf(body) : undefined;
  let kind = kindByErrorType.get(exceptionType.toLowerCase()) ?? 'server';
  const original = body?.originalStatusCode;
  if (exceptionType.toLowerCase() === 'modelstreamerrorexception' && original !== undefined) {
    const originalKind = kindForStatus(original);
    // Whatever the model said, a failure in the middle of an answer is worth another try.
    if (originalKind === 'rate_limited' || originalKind === 'overloaded' || originalKind === 'timeout') {
      kind = originalKind;
    }
  }
  if (kind === 'invalid_request' && message !== undefined && contextLengthPattern.test(message)) {
    kind = 'context_length';
  }
  return new ProviderError({
    kind,
    provider,
    message:
      `${accountPrefix(provider, options.accountId)}exception in stream: ${exceptionType}: ${message ?? '(no message)'}` +
      (original === undefined ? '' : ` (model status ${original})`),
    statusCode: options.statusCode,
    rawBody: payload,
  });
}

/** A 2xx answer relayq could not read (not JSON, not a message, a broken frame). Retrying may help. */
export function bedrockMalformedResponseError(detail: string, options: UnreadableResponseOptions): ProviderError {
  return unreadableResponseError(provider, detail, options);
}

/**
 * The Anthropic mappers Bedrock reuses report errors as provider "anthropic"; this gives them
 * Bedrock's name and the account, keeping kind, status and body.
 */
export function asBedrockError(error: ProviderError, accountId?: string): ProviderError {
  if (error.provider === provider) return error;
  const detail = error.message.replace(/^anthropic( account "[^"]*")?: /, '');
  return new ProviderError({
    kind: error.kind,
    provider,
    message: `${accountPrefix(provider, accountId)}${detail}`,
    statusCode: error.statusCode,
    rawBody: error.rawBody,
    retryable: error.retryable,
    headers: error.headers,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    cause: error.cause ?? error,
  });
}

/** `ThrottlingException:http://internal...` → `ThrottlingException`; `com.amazon#X` → `X`. */
export function errorTypeOf(header: string | undefined, body: BedrockErrorBody | undefined): string | undefined {
  const raw = header ?? body?.__type;
  if (raw === undefined) return undefined;
  let type = raw.split(':')[0] ?? '';
  const hash = type.lastIndexOf('#');
  if (hash >= 0) type = type.slice(hash + 1);
  type = type.trim();
  return type === '' ? undefined : type;
}

function messageOf(body: BedrockErrorBody): string | undefined {
  return body.message ?? body.Message;
}

/** By status alone; 424 is Bedrock's "the model failed" (ModelErrorException). */
function fallbackKind(status: number): ErrorKind {
  return status === 424 ? 'server' : kindForStatus(status);
}
