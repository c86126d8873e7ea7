/**
 * The simulator's token issuer: what the OAuth, Google and AWS token endpoints hand out, with
 * short lives so tests see real refreshes. Tokens come in families, one per configured refresh
 * token (an OAuth grant), service account or AWS role: a refresh rotates the family's refresh
 * token (the old one is refused as `invalid_grant` from then on, and counted as a reuse), and
 * revoking a family refuses its refresh token and every access token it was given.
 *
 * The provider handlers ask `accessToken(token)` about a bearer token that looks issued here
 * (`sim-at-...`, `ya29.sim-...`) and `awsKeys(accessKeyId)` about a temporary AWS key id
 * (`ASIASIM...`); tokens of any other shape are the handlers' ordinary keys.
 */
import { randomBytes } from 'node:crypto';

export interface TokenFamilyStats {
  /** Access tokens (or key sets) issued. */
  issued: number;
  /** Refresh grants refused (a revoked family, an old refresh token, a bad assertion). */
  refused: number;
  /** Refresh tokens used again after they were rotated away (what racing refreshers would do). */
  reusedRefreshTokens: number;
  /** Calls the providers answered 401 because the family's token had expired. */
  expiredUses: number;
  /** When each access token was issued and expires (ms since the epoch), in order. */
  tokens: { issuedAt: number; expiresAt: number; uses: number }[];
  revoked: boolean;
}

export type TokenStats = Record<string, TokenFamilyStats>;

export interface IssuedToken {
  family: string;
  secret: string;
  expiresAt: number;
}

export interface IssuedAwsKeys extends IssuedToken {
  accessKeyId: string;
  /** The secret access key (`secret` is the session token). */
  secretAccessKey: string;
}

export type TokenCheck = { status: 'valid'; family: string } | { status: 'expired' | 'revoked' | 'unknown' };

interface Family {
  stats: TokenFamilyStats;
  /** The refresh token that works now (OAuth families). */
  refreshToken?: string;
}

export const oauthAccessTokenPrefix = 'sim-at-';
export const googleAccessTokenPrefix = 'ya29.sim-';
export const awsTemporaryKeyPrefix = 'ASIASIM';
export const entraAccessTokenPrefix = 'sim-entra-';

export class TokenIssuer {
  private families = new Map<string, Family>();
  private byRefreshToken = new Map<string, string>();
  private access = new Map<string, { family: string; expiresAt: number; index: number }>();
  private aws = new Map<string, { family: string; secretAccessKey: string; sessionToken: string; expiresAt: number; index: number }>();

  constructor(
    /** How long an issued token lives (seconds). */
    readonly lifetimeSeconds: number,
    initialRefreshTokens: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    for (const token of initialRefreshTokens) this.grant(token);
  }

  /** Starts an OAuth family whose refresh token is `refreshToken`. */
  grant(refreshToken: string): void {
    if (this.byRefreshToken.has(refreshToken)) return;
    const family = this.family(`oauth:${refreshToken.slice(0, 12)}`);
    family.refreshToken = refreshToken;
    this.byRefreshToken.set(refreshToken, familyName(family));
  }

  /**
   * The refresh grant: a new access token and a new refresh token (rotation), or the OAuth error
   * code (`invalid_grant`) when the refresh token is unknown, rotated away or revoked.
   */
  refresh(refreshToken: string): { access: IssuedToken; refreshToken: string } | { error: 'invalid_grant'; description: string } {
    const name = this.byRefreshToken.get(refreshToken);
    const family = name === undefined ? undefined : this.families.get(name);
    if (family === undefined) return { error: 'invalid_grant', description: 'Refresh token not found or invalid' };
    if (family.stats.revoked) {
      family.stats.refused += 1;
      return { error: 'invalid_grant', description: 'Refresh token has been revoked' };
    }
    if (family.refreshToken !== refreshToken) {
      family.stats.refused += 1;
      family.stats.reusedRefreshTokens += 1;
      return { error: 'invalid_grant', description: 'Refresh token has already been used' };
    }
    const next = `sim-rt-${randomBytes(18).toString('base64url')}`;
    family.refreshToken = next;
    this.byRefreshToken.set(next, familyName(family));
    return { access: this.issueAccess(family, oauthAccessTokenPrefix), refreshToken: next };
  }

  /** An access token for a family that proves itself otherwise (a service account's signed assertion). */
  issueFor(familyId: string, prefix: string): IssuedToken | { error: string } {
    const family = this.family(familyId);
    if (family.stats.revoked) {
      family.stats.refused += 1;
      return { error: 'revoked' };
    }
    return this.issueAccess(family, prefix);
  }

  /** Temporary AWS keys (AccessKeyId, SecretAccessKey, Token) for a role's family. */
  issueAwsKeys(familyId: string): IssuedAwsKeys | { error: string } {
    const family = this.family(familyId);
    if (family.stats.revoked) {
      family.stats.refused += 1;
      return { error: 'revoked' };
    }
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.lifetimeSeconds * 1000;
    const accessKeyId = `${awsTemporaryKeyPrefix}${randomBytes(7).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64url');
    const sessionToken = `sim-session-${randomBytes(24).toString('base64url')}`;
    family.stats.issued += 1;
    family.stats.tokens.push({ issuedAt, expiresAt, uses: 0 });
    this.aws.set(accessKeyId, {
      family: familyName(family),
      secretAccessKey,
      sessionToken,
      expiresAt,
      index: family.stats.tokens.length - 1,
    });
    return { family: familyName(family), secret: sessionToken, expiresAt, accessKeyId, secretAccessKey };
  }

  /** Refuses the family's refresh token and every token it holds from now on. */
  revoke(familyId: string): void {
    const family = this.families.get(familyId) ?? this.families.get(this.byRefreshToken.get(familyId) ?? '');
    if (family === undefined) throw new Error(`no token family ${familyId}`);
    family.stats.revoked = true;
  }

  /** What a bearer token issued here is worth now (and a use counted when it is valid). */
  accessToken(token: string): TokenCheck {
    const found = this.access.get(token);
    if (found === undefined) return { status: 'unknown' };
    return this.check(found);
  }

  /** The secret and session token of a temporary AWS key id issued here, if it is still good. */
  awsKeys(
    accessKeyId: string,
  ): (TokenCheck & { status: 'valid'; secretAccessKey: string; sessionToken: string }) | { status: 'expired' | 'revoked' | 'unknown' } {
    const found = this.aws.get(accessKeyId);
    if (found === undefined) return { status: 'unknown' };
    const checked = this.check(found);
    if (checked.status !== 'valid') return checked;
    return { ...checked, secretAccessKey: found.secretAccessKey, sessionToken: found.sessionToken };
  }

  stats(): TokenStats {
    const out: TokenStats = {};
    for (const [name, family] of this.families) out[name] = structuredClone(family.stats);
    return out;
  }

  private check(found: { family: string; expiresAt: number; index: number }): TokenCheck {
    const family = this.families.get(found.family) as Family;
    if (family.stats.revoked) return { status: 'revoked' };
    if (this.now() >= found.expiresAt) {
      family.stats.expiredUses += 1;
      return { status: 'expired' };
    }
    const entry = family.stats.tokens[found.index];
    if (entry !== undefined) entry.uses += 1;
    return { status: 'valid', family: found.family };
  }

  private issueAccess(family: Family, prefix: string): IssuedToken {
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.lifetimeSeconds * 1000;
    const secret = `${prefix}${randomBytes(24).toString('base64url')}`;
    family.stats.issued += 1;
    family.stats.tokens.push({ issuedAt, expiresAt, uses: 0 });
    this.access.set(secret, { family: familyName(family), expiresAt, index: family.stats.tokens.length - 1 });
    return { family: familyName(family), secret, expiresAt };
  }

  private family(name: string): Family {
    let family = this.families.get(name);
    if (family === undefined) {
      family = {
        stats: { issued: 0, refused: 0, reusedRefreshTokens: 0, expiredUses: 0, tokens: [], revoked: false },
      };
      names.set(family, name);
      this.families.set(name, family);
    }
    return family;
  }
}

const names = new WeakMap<Family, string>();
function familyName(family: Family): string {
  return names.get(family) as string;
}
