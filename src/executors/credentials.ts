/**
 * The credential contract: what a provider's executor asks of the store in its context
 * (src/providers/shared/credentials.ts has the helpers, src/accounts/credential-store.ts the
 * store the workers share in Redis).
 */

export interface Credential {
  /** What calls are authenticated with: a bearer token, or (AWS) the JSON of the keys. */
  secret: string;
  /** When the issuer says it stops working (ms since the epoch). */
  expiresAt: number;
  /** When it was issued (ms since the epoch). */
  issuedAt: number;
  /** The refresh token the issuer handed back with it (rotated), to use for the next refresh. */
  refreshToken?: string;
}

export interface CredentialSource {
  /**
   * The credential's name in the store: the account id and a fingerprint of what the config
   * gives it (`credentialKey`), so a new refresh token or key file in the config starts afresh.
   */
  readonly key: string;
  readonly accountId: string;
  readonly provider: string;
  /**
   * A fresh credential; `previous` is the last one stored (with its rotated refresh token).
   * Throws a ProviderError: `auth` when the issuer refused (the account gets disabled with that
   * reason), a retryable kind when it could not be reached.
   */
  issue(previous: Credential | undefined): Promise<Credential>;
}

export interface CredentialStore {
  /**
   * The account's current credential, issued anew when none is stored, when it is due for a
   * refresh, or when the stored one is `rejected` (the secret a provider just refused).
   */
  current(source: CredentialSource, rejected?: string): Promise<Credential>;
}
