/**
 * One upstream call, the part every executor shares (after the Vercel AI SDK's `postJsonToApi`
 * with a failed- and a successful-response handler): send the prepared POST over the account's
 * shared dispatcher, read the body, hand a non-2xx answer to the provider's error mapper and a
 * 2xx answer to the provider's reader. An executor supplies only what differs: how a call is
 * addressed (`prepare`: URL, headers, body) and the handlers (which headers to keep, which error
 * mapper, which schema and mapper read the answer).
 *
 * Cost: `callJsonApi` awaits the request and the body and nothing else, so an executor that
 * returns its promise directly pays no promise or tick beyond what a hand-written call pays.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { ProviderError } from '../../executors/errors.ts';
import type { Account, ExecuteResult } from '../../executors/types.ts';
import { dispatcherFor } from '../../http/dispatchers.ts';
import { noProxy } from '../../http/proxy-url.ts';
import { toProviderError, type RequestErrorContext } from '../../http/request-errors.ts';
import { bodyReadError, isSuccess, parseJsonBody, validateBody, type AnswerContext, type HttpErrorInput } from './response.ts';

/** What errors about a call name: the provider, the URL, the account, the proxy, the caller's signal. */
export type CallErrorContext = RequestErrorContext & { url: string };

/** One POST, fully addressed. Executors extend it with what their handlers need (the endpoint, a 404 hint). */
export interface ApiCall {
  account: Account;
  url: string;
  headers: Record<string, string>;
  /** The request body, already serialized. */
  body: string;
  signal: AbortSignal | undefined;
  errorContext: CallErrorContext;
}

/** Who answered and what they said besides the body: for the mappers of a successful answer. */
export interface Answer extends AnswerContext {
  /** The response headers the provider keeps (request id, rate limits), lower-case names. */
  headers: Record<string, string>;
}

/** What a provider says about the answers to its calls. */
export interface ResponseHandlers<Call extends ApiCall> {
  /** The response headers worth keeping. */
  pickHeaders(headers: IncomingHttpHeaders): Record<string, string>;
  /** The error a non-2xx answer means. */
  failed(input: HttpErrorInput, call: Call): ProviderError;
}

export interface JsonResponseHandlers<Call extends ApiCall> extends ResponseHandlers<Call> {
  /** The result a 2xx body means; throws a ProviderError when it cannot be read. */
  successful(text: string, answer: Answer, call: Call): ExecuteResult;
}

/** The reader of a 2xx JSON body: parse, check against `schema` ("the body is not WHAT"), map (given the JSON as it came too). */
export function jsonResponse<T>(
  schema: z.ZodType<T>,
  what: string,
  map: (value: T, answer: Answer, json: unknown) => ExecuteResult,
): (text: string, answer: Answer) => ExecuteResult {
  return (text, answer) => {
    const json = parseJsonBody(text, answer);
    return map(validateBody(json, schema, what, answer), answer, json);
  };
}

/** Sends a prepared call; what undici throws becomes a ProviderError naming the call. */
export async function postToApi(call: ApiCall): Promise<Dispatcher.ResponseData> {
  const { account } = call;
  try {
    return await request(call.url, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
      dispatcher: dispatcherFor(account),
      headersTimeout: account.timeouts.firstByteMs,
      bodyTimeout: account.timeouts.idleMs,
      signal: call.signal ?? null,
    });
  } catch (error) {
    throw toProviderError(error, call.errorContext);
  }
}

/**
 * A whole JSON call: send → read → status check → the provider's error mapper, or its reader.
 * `prepare` may return a promise (Bedrock signs its headers) and may throw a ProviderError (an
 * account of another provider); either way the returned promise rejects. A call that needs no
 * promise to prepare is not awaited (an await costs a tick even on a plain value).
 */
export async function callJsonApi<Call extends ApiCall>(
  prepare: () => Call | Promise<Call>,
  handlers: JsonResponseHandlers<Call>,
): Promise<ExecuteResult> {
  const prepared = prepare();
  const call = prepared instanceof Promise ? await prepared : prepared;
  const response = await postToApi(call);
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw bodyReadError(error, call.errorContext, response.statusCode);
  }
  const { statusCode } = response;
  const accountId = call.account.id;
  if (!isSuccess(statusCode)) {
    throw handlers.failed({ status: statusCode, headers: response.headers, bodyText: text, accountId }, call);
  }
  const headers = handlers.pickHeaders(response.headers);
  return handlers.successful(text, { provider: call.errorContext.provider, statusCode, accountId, headers }, call);
}

/** The error context of an account's calls, before (or without) a URL of its own. */
export function callErrorContext(provider: string, account: Account, url: string, signal: AbortSignal | undefined): CallErrorContext {
  return {
    provider,
    url,
    accountId: account.id,
    ...(account.proxy === undefined || account.proxy === noProxy ? {} : { proxy: account.proxy }),
    ...(signal === undefined ? {} : { signal }),
    timeouts: account.timeouts,
  };
}

/** Refuses an account of another provider (a config or routing mistake) before anything is sent. */
export function checkAccountProvider(account: Account, provider: string): void {
  if (account.provider === provider) return;
  throw new ProviderError({
    kind: 'invalid_request',
    provider,
    message: `account "${account.id}" is a ${account.provider} account, not ${/^[aeiou]/.test(provider) ? 'an' : 'a'} ${provider} one`,
  });
}
