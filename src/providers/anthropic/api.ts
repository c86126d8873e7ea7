/**
 * Where and how to call the Anthropic Messages API for one account: URL, auth and version
 * headers, and which response headers to keep.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AnthropicAccount } from './account.ts';

export const anthropicDefaultBaseUrl = 'https://api.anthropic.com';
export const anthropicVersion = '2023-06-01';

export type AnthropicApiAccount = Pick<AnthropicAccount, 'baseUrl' | 'apiKey' | 'authToken' | 'anthropicBeta'>;

/** `{baseUrl}/v1/messages`; a trailing slash on baseUrl is ignored. */
export function anthropicMessagesUrl(account: Pick<AnthropicAccount, 'baseUrl'>): string {
  const base = (account.baseUrl ?? anthropicDefaultBaseUrl).replace(/\/+$/, '');
  return `${base}/v1/messages`;
}

/**
 * Request headers for an account. An account with neither apiKey nor authToken sends no auth
 * header (a gateway may add it); Anthropic itself answers 401.
 */
export function anthropicRequestHeaders(
  account: AnthropicApiAccount,
  options: { stream?: boolean } = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: options.stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': anthropicVersion,
    'user-agent': 'relayq',
  };
  if (account.apiKey !== undefined) headers['x-api-key'] = account.apiKey;
  else if (account.authToken !== undefined) headers.authorization = `Bearer ${account.authToken}`;
  if (account.anthropicBeta !== undefined && account.anthropicBeta.length > 0) {
    headers['anthropic-beta'] = account.anthropicBeta.join(',');
  }
  return headers;
}

/** Response headers worth keeping: request id, retry-after and every anthropic-ratelimit-*. */
export function pickAnthropicHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'request-id' || lower === 'retry-after' || lower.startsWith('anthropic-ratelimit-')) {
      kept[lower] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return kept;
}
