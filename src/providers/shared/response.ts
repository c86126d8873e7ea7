/**
 * The steps of reading an answer, used by the shared call and stream (call.ts, stream.ts): the
 * status check, turning a body that fails while being read into a ProviderError, parsing and
 * checking a JSON answer, and the error of a stream whose events stop before the last one.
 *
 * All plain functions but `readErrorBodyText`: the awaits of a call stay in call.ts, so these
 * steps cost no extra promise or tick per call.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { ProviderError } from '../../executors/errors.ts';
import { toProviderError, type RequestErrorContext } from '../../http/request-errors.ts';
import { accountPrefix, maxRawTextLength, unreadableResponseError } from './error-body.ts';

/** Who answered, for the errors about an answer: the provider, the HTTP status and the account. */
export interface AnswerContext {
  provider: string;
  statusCode: number;
  accountId: string;
}

/** True for a 2xx status, the only kind of answer that carries a result. */
export function isSuccess(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

/** The error for a response body that failed while being read (a reset socket, a timeout, a cancel). */
export function bodyReadError(error: unknown, errorContext: RequestErrorContext, statusCode: number): ProviderError {
  return toProviderError(error, { ...errorContext, statusCode });
}

/** A failed (non-2xx) answer's body as text, '' when unreadable: the status alone still says what happened. */
export async function readErrorBodyText(response: { body: { text(): Promise<string> } }): Promise<string> {
  try {
    return await response.body.text();
  } catch {
    return '';
  }
}

/** What a provider's HTTP error mapper reads: the status, the headers, the body as text and the account. */
export interface HttpErrorInput {
  status: number;
  headers: IncomingHttpHeaders;
  bodyText: string;
  accountId: string;
}

/** A 2xx body as JSON; else an unexpected-response error keeping the text (cut to maxRawTextLength). */
export function parseJsonBody(text: string, answer: AnswerContext): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw unreadableResponseError(answer.provider, 'the body is not JSON', {
      statusCode: answer.statusCode,
      accountId: answer.accountId,
      rawBody: text.slice(0, maxRawTextLength),
      cause,
    });
  }
}

/** The JSON as `schema` reads it; else an unexpected-response error "the body is not WHAT" keeping the JSON. */
export function validateBody<T>(json: unknown, schema: z.ZodType<T>, what: string, answer: AnswerContext): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw unreadableResponseError(answer.provider, `the body is not ${what}`, {
      statusCode: answer.statusCode,
      accountId: answer.accountId,
      rawBody: json,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The `network` error of a stream that ended cleanly before `finalEvent`: the answer is incomplete. */
export function streamEndedEarlyError(
  provider: string,
  accountId: string,
  url: string,
  statusCode: number,
  finalEvent: string,
): ProviderError {
  return new ProviderError({
    kind: 'network',
    provider,
    statusCode,
    message: `${accountPrefix(provider, accountId)}the event stream from ${new URL(url).host} ended before ${finalEvent}`,
  });
}
