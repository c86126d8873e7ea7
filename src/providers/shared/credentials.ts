/**
 * Credentials that expire: an OAuth access token got with a refresh token, a Google or Entra ID
 * token, AWS keys of a role. A provider's executor names the account's `CredentialSource` (how a
 * fresh credential is issued); the `CredentialStore` in its context keeps the current one and
 * refreshes it before it expires, or when the provider refused it (a 401), once for all workers
 * (src/accounts/credential-store.ts keeps it in Redis behind a lock). Without a store in the
 * context (an executor used on its own), `localCredentialStore` does the same within the process.
 */
import { createHash } from 'node:crypto';
import type { Credential, CredentialStore } from '../../executors/credentials.ts';
import { ProviderError } from '../../executors/errors.ts';

export type { Credential, CredentialSource, CredentialStore } from '../../executors/credentials.ts';

/** The most of a credential's life refreshed early: 5 minutes. */
const maxEarlyMs = 5 * 60_000;
/** The share of a short credential's life refreshed early: the last fifth. */
const earlyShare = 0.2;

/** When a credential is refreshed: 5 minutes before it expires, or in its last fifth when it lives less than 25 minutes. */
export function refreshAt(credential: Pick<Credential, 'expiresAt' | 'issuedAt'>): number {
  const life = Math.max(0, credential.expiresAt - credential.issuedAt);
  return credential.expiresAt - Math.min(maxEarlyMs, life * earlyShare);
}

/** Whether a credential is good to use now (not due for a refresh, not the one a provider refused). */
export function usable(credential: Credential | undefined, now: number, rejected?: string): credential is Credential {
  return credential !== undefined && now < refreshAt(credential) && credential.secret !== rejected;
}

/** `<accountId>:<16 hex of SHA-256 of the parts>`: the name of a credential in a store. */
export function credentialKey(accountId: string, ...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return `${accountId}:${hash.digest('hex').slice(0, 16)}`;
}

/** One process's store: the current credential of each source in memory, one refresh at a time per source. */
export function localCredentialStore(now: () => number = Date.now): CredentialStore {
  const held = new Map<string, Credential>();
  const refreshing = new Map<string, Promise<Credential>>();
  return {
    async current(source, rejected) {
      for (;;) {
        const found = held.get(source.key);
        if (usable(found, now(), rejected)) return found;
        const running = refreshing.get(source.key);
        if (running !== undefined) {
          const issued = await running;
          if (usable(issued, now(), rejected)) return issued;
          if (running === refreshing.get(source.key)) refreshing.delete(source.key);
          continue;
        }
        const issuing = source.issue(found).then(
          (credential) => {
            held.set(source.key, credential);
            return credential;
          },
          (error: unknown) => {
            throw error;
          },
        );
        refreshing.set(source.key, issuing);
        try {
          return await issuing;
        } finally {
          if (refreshing.get(source.key) === issuing) refreshing.delete(source.key);
        }
      }
    },
  };
}

/**
 * The error of a refresh the issuer refused: `auth`, not retryable, naming the account and the
 * issuer's reason (`invalid_grant: Refresh token revoked`), so the account is disabled with it.
 */
export function refreshRefused(provider: string, accountId: string, reason: string): ProviderError {
  return new ProviderError({
    kind: 'auth',
    provider,
    retryable: false,
    message: `${provider} account "${accountId}": the credential refresh was refused: ${reason}`,
  });
}

/** The error of a refresh that could not be made (the issuer unreachable, or a 5xx): retryable; the account stays enabled. */
export function refreshFailed(provider: string, accountId: string, reason: string, statusCode?: number): ProviderError {
  return new ProviderError({
    kind: statusCode !== undefined && statusCode >= 500 ? 'server' : 'network',
    provider,
    retryable: true,
    ...(statusCode === undefined ? {} : { statusCode }),
    message: `${provider} account "${accountId}": the credential refresh failed: ${reason}`,
  });
}

/** Whether a provider's error means it refused the credential itself (a 401), so one fresh credential may fix the call. */
export function isCredentialRejection(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.kind === 'auth' && error.statusCode === 401;
}
