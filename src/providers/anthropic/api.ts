/**
 * Where and how to call the Anthropic Messages API for one account: URL, auth and version
 * headers, and which response headers to keep.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AnthropicAccount } from './account.ts';
import { jsonRequestHeaders, pickHeaders } from '../shared/headers.ts';

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
export function anthropicRequestHeaders(account: AnthropicApiAccount, options: { stream?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = { ...jsonRequestHeaders(options.stream), 'anthropic-version': anthropicVersion };
  if (account.apiKey !== undefined) headers['x-api-key'] = account.apiKey;
  else if (account.authToken !== undefined) headers.authorization = `Bearer ${account.authToken}`;
  if (account.anthropicBeta !== undefined && account.anthropicBeta.length > 0) {
    headers['anthropic-beta'] = account.anthropicBeta.join(',');
  }
  return headers;
}

/** Response headers worth keeping: request id, retry-after and every anthropic-ratelimit-*. */
export function pickAnthropicHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return pickHeaders(headers, (name) => name === 'request-id' || name === 'retry-after' || name.startsWith('anthropic-ratelimit-'));
}
