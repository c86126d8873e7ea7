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

/** The `anthropic-beta` flag the Messages API wants with an OAuth access token. */
export const anthropicOAuthBeta = 'oauth-2025-04-20';

/** `{baseUrl}/v1/messages`; a trailing slash on baseUrl is ignored. */
export function anthropicMessagesUrl(account: Pick<AnthropicAccount, 'baseUrl'>): string {
  const base = (account.baseUrl ?? anthropicDefaultBaseUrl).replace(/\/+$/, '');
  return `${base}/v1/messages`;
}

/**
 * Request headers for an account. An API key goes as `x-api-key`; an OAuth access token (the
 * account's `authToken`, or `accessToken`, the current one of an `oauth` account) as
 * `authorization: Bearer` with the OAuth beta flag added to the account's own. An account with
 * neither sends no auth header (a gateway may add it); Anthropic itself answers 401.
 */
export function anthropicRequestHeaders(
  account: AnthropicApiAccount,
  options: { stream?: boolean; accessToken?: string } = {},
): Record<string, string> {
  const headers: Record<string, string> = { ...jsonRequestHeaders(options.stream), 'anthropic-version': anthropicVersion };
  const betas = [...(account.anthropicBeta ?? [])];
  const bearer = options.accessToken ?? (account.apiKey === undefined ? account.authToken : undefined);
  if (bearer !== undefined) {
    headers.authorization = `Bearer ${bearer}`;
    if (!betas.includes(anthropicOAuthBeta)) betas.push(anthropicOAuthBeta);
  } else if (account.apiKey !== undefined) headers['x-api-key'] = account.apiKey;
  if (betas.length > 0) headers['anthropic-beta'] = betas.join(',');
  return headers;
}

/** Response headers worth keeping: request id, retry-after and every anthropic-ratelimit-*. */
export function pickAnthropicHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return pickHeaders(headers, (name) => name === 'request-id' || name === 'retry-after' || name.startsWith('anthropic-ratelimit-'));
}
