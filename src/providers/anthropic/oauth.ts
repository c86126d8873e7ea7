/**
 * An Anthropic OAuth login kept alive: the OAuth 2.0 refresh grant (RFC 6749 §6) against the
 * account's token endpoint, `POST {grant_type: "refresh_token", refresh_token, client_id}` as
 * JSON, answered `{access_token, expires_in, refresh_token, token_type: "Bearer"}`. The endpoint
 * rotates the refresh token: the one it hands back replaces the configured one, and the store
 * keeps it (src/accounts/credential-store.ts) so every worker uses the newest.
 */
import { request } from 'undici';
import { z } from 'zod';
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import { dispatcherFor } from '../../http/dispatchers.ts';
import { credentialKey, refreshFailed, refreshRefused } from '../shared/credentials.ts';
import type { AnthropicAccount } from './account.ts';

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  token_type: z.string().optional(),
});

const tokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

type OAuthAccount = AnthropicAccount & { oauth: NonNullable<AnthropicAccount['oauth']> };

const sources = new WeakMap<AnthropicAccount, CredentialSource>();

/** The account's refresh-grant source (one per account object); undefined for an account without `oauth`. */
export function anthropicOAuthSource(account: AnthropicAccount): CredentialSource | undefined {
  if (account.oauth === undefined) return undefined;
  let source = sources.get(account);
  if (source === undefined) {
    const oauth = account as OAuthAccount;
    source = {
      key: credentialKey(account.id, 'anthropic-oauth', oauth.oauth.tokenUrl, oauth.oauth.clientId, oauth.oauth.refreshToken),
      accountId: account.id,
      provider: 'anthropic',
      issue: (previous) => refreshGrant(oauth, previous),
    };
    sources.set(account, source);
  }
  return source;
}

async function refreshGrant(account: OAuthAccount, previous: Credential | undefined): Promise<Credential> {
  const { oauth } = account;
  const refreshToken = previous?.refreshToken ?? oauth.refreshToken;
  const sentAt = Date.now();
  let status: number;
  let text: string;
  try {
    const response = await request(oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'relayq' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: oauth.clientId }),
      dispatcher: dispatcherFor(account),
      headersTimeout: account.timeouts.firstByteMs,
      bodyTimeout: account.timeouts.idleMs,
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw refreshFailed('anthropic', account.id, `${hostOf(oauth.tokenUrl)} could not be reached (${(error as Error).message})`);
  }
  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    const answer = tokenAnswerSchema.safeParse(json);
    if (!answer.success)
      throw refreshFailed(
        'anthropic',
        account.id,
        `${hostOf(oauth.tokenUrl)} answered ${status} without an access token and expires_in`,
        status,
      );
    return {
      secret: answer.data.access_token,
      issuedAt: sentAt,
      expiresAt: sentAt + answer.data.expires_in * 1000,
      refreshToken: answer.data.refresh_token ?? refreshToken,
    };
  }
  const error = tokenErrorSchema.safeParse(json);
  const reason = error.success
    ? `${error.data.error}${error.data.error_description === undefined ? '' : ` (${error.data.error_description})`}`
    : `HTTP ${status}`;
  // 400 and 401 are the endpoint's word on the grant (invalid_grant, invalid_client): no retry fixes them.
  if (status === 400 || status === 401 || status === 403) throw refreshRefused('anthropic', account.id, reason);
  throw refreshFailed('anthropic', account.id, `${hostOf(oauth.tokenUrl)} answered ${reason}`, status);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function hostOf(url: string): string {
  return new URL(url).host;
}
