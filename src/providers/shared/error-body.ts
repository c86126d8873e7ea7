/**
 * Helpers every provider's error mapper shares: reading an error body that may not be JSON (a
 * proxy's HTML page), a one-line summary of it for messages, and header lookup.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ProviderError } from '../../executors/errors.ts';

/** Non-JSON error bodies are kept up to this many characters. */
export const maxRawTextLength = 4096;

/** The error body as JSON when it is JSON, else its text (cut to maxRawTextLength); undefined when empty. */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.length > maxRawTextLength ? text.slice(0, maxRawTextLength) : text;
  }
}

/** A non-JSON body as one short line: tags dropped, white space folded, at most 200 characters. */
export function summarizeText(text: string): string {
  const flat = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return '(empty body)';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

export function headerValue(headers: IncomingHttpHeaders | Record<string, string>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `anthropic account "main": ` — how every provider error message starts. */
export function accountPrefix(provider: string, accountId: string | undefined): string {
  return accountId ? `${provider} account "${accountId}": ` : `${provider}: `;
}

export interface UnreadableResponseOptions {
  statusCode?: number;
  rawBody?: unknown;
  accountId?: string;
  cause?: unknown;
}

/** A 2xx answer relayq could not read (not JSON, or not the expected shape). Retrying may help. */
export function unreadableResponseError(provider: string, detail: string, options: UnreadableResponseOptions): ProviderError {
  return new ProviderError({
    kind: 'server',
    provider,
    message: `${accountPrefix(provider, options.accountId)}unexpected response: ${detail}`,
    statusCode: options.statusCode,
    rawBody: options.rawBody,
    cause: options.cause,
  });
}
