/**
 * One delivery attempt: a signed POST of the event's body. 2xx is success; anything else, a
 * timeout or a connection failure is a failure the caller may retry. At most 64 KB of the answer
 * is read; a redirect is a failure like any other non-2xx answer (it is not followed).
 */
import { request, type Dispatcher } from 'undici';
import { WebhookAddressError } from './address-guard.ts';

/** Bytes of a receiver's answer that are read (and a few of them kept in the delivery log). */
export const maxResponseBytes = 64 * 1024;
const keptResponseChars = 256;

export interface DeliveryAttempt {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  /** Why it failed (the status line, the timeout, the refused address, ...). */
  error: string | null;
  /** From `retry-after` on a 429 or 503. */
  retryAfterMs: number | null;
  /** The address guard refused the target: retrying changes nothing until the config does. */
  refused: boolean;
  /** The first characters of the answer's body. */
  response: string;
}

export async function deliverOnce(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<DeliveryAttempt> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const answer = await request(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', 'user-agent': 'relayq-webhooks', ...headers },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readAtMost(answer.body, maxResponseBytes);
    const statusCode = answer.statusCode;
    const ok = statusCode >= 200 && statusCode < 300;
    const retryAfterMs = statusCode === 429 || statusCode === 503 ? retryAfter(answer.headers['retry-after']) : null;
    return {
      ok,
      statusCode,
      latencyMs: latency(),
      error: ok ? null : `the receiver answered ${statusCode}`,
      retryAfterMs,
      refused: false,
      response: text.slice(0, keptResponseChars),
    };
  } catch (caught) {
    const refused = findCause(caught, WebhookAddressError);
    const error = refused ?? (caught as Error);
    const timedOut = error.name === 'TimeoutError' || /Timeout/.test(error.name) || (error as { code?: string }).code?.includes('TIMEOUT');
    return {
      ok: false,
      statusCode: null,
      latencyMs: latency(),
      error: refused ? refused.message : timedOut ? `no answer within ${timeoutMs} ms` : describe(error),
      retryAfterMs: null,
      refused: refused !== null,
      response: '',
    };
  }
}

function describe(error: Error): string {
  const code = (error as { code?: string }).code;
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
  return `${code ? `${code} ` : ''}${error.message}${inner}`;
}

function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1)
    if (current instanceof type) return current;
  return null;
}

async function readAtMost(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** `retry-after` as ms: seconds, or an HTTP date. */
export function retryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
