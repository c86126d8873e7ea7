/**
 * The shared credential store against a real Redis: several stores (as several workers would
 * hold, each on its own connection) ask for one account's credential at once and the issuer is
 * asked once; a refused credential is replaced once; a refusal is kept for every worker; the
 * record is sealed with secrets.key.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCredentialStore } from '../../src/accounts/credential-store.ts';
import type { Credential, CredentialSource, CredentialStore } from '../../src/executors/credentials.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import { credentialKey, localCredentialStore, refreshAt, refreshRefused } from '../../src/providers/shared/credentials.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

const connections: Redis[] = [];
let prefix: string;
let keys: Keys;
let clock: number;
const now = (): number => clock;

function connection(): Redis {
  const redis = testRedis();
  connections.push(redis);
  return redis;
}

/** A source that counts its calls and issues `tok-<n>` tokens living `lifeMs`, with rotated refresh tokens. */
function countingSource(lifeMs = 10_000): CredentialSource & { calls: number; previous: (Credential | undefined)[] } {
  const source = {
    key: credentialKey('acct-1', 'test', 'rt-0'),
    accountId: 'acct-1',
    provider: 'anthropic',
    calls: 0,
    previous: [] as (Credential | undefined)[],
    async issue(previous: Credential | undefined): Promise<Credential> {
      source.calls += 1;
      source.previous.push(previous);
      // Long enough for every waiting store to see the lock taken.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { secret: `tok-${source.calls}`, issuedAt: clock, expiresAt: clock + lifeMs, refreshToken: `rt-${source.calls}` };
    },
  };
  return source;
}

function stores(count: number, secretKey?: string): CredentialStore[] {
  return Array.from({ length: count }, () => createCredentialStore(connection(), keys, secretKey, { now, pollMs: 5 }));
}

beforeEach(() => {
  prefix = testPrefix('creds');
  keys = createKeys(prefix);
  clock = 1_000_000;
});
afterEach(async () => {
  await dropPrefix(connection(), prefix);
});
afterAll(async () => {
  await Promise.all(connections.map((redis) => redis.quit()));
});

describe('refreshAt', () => {
  it('refreshes in the last fifth of a short life and 5 minutes before a long one ends', () => {
    expect(refreshAt({ issuedAt: 0, expiresAt: 10_000 })).toBe(8_000);
    expect(refreshAt({ issuedAt: 0, expiresAt: 3_600_000 })).toBe(3_300_000);
  });
});

describe('createCredentialStore', () => {
  it('issues once for many calls in three stores at once, and answers from memory after', async () => {
    const source = countingSource();
    const all = stores(3);
    const got = await Promise.all(all.flatMap((store) => Array.from({ length: 20 }, () => store.current(source))));
    expect(source.calls).toBe(1);
    expect(new Set(got.map((credential) => credential.secret))).toEqual(new Set(['tok-1']));
    await Promise.all(all.map((store) => store.current(source)));
    expect(source.calls).toBe(1);
  });

  it('refreshes once when the credential is due, handing the rotated refresh token to the issuer', async () => {
    const source = countingSource();
    const all = stores(3);
    await Promise.all(all.map((store) => store.current(source)));
    clock += 8_000;
    const got = await Promise.all(all.map((store) => store.current(source)));
    expect(source.calls).toBe(2);
    expect(got.map((credential) => credential.secret)).toEqual(['tok-2', 'tok-2', 'tok-2']);
    expect(source.previous[1]?.refreshToken).toBe('rt-1');
  });

  it('replaces a rejected credential once, however many workers saw it rejected', async () => {
    const source = countingSource();
    const all = stores(3);
    await Promise.all(all.map((store) => store.current(source)));
    const got = await Promise.all(all.flatMap((store) => [store.current(source, 'tok-1'), store.current(source, 'tok-1')]));
    expect(source.calls).toBe(2);
    expect(new Set(got.map((credential) => credential.secret))).toEqual(new Set(['tok-2']));
    // An old rejection (tok-1) does not replace tok-2.
    expect((await all[0]?.current(source, 'tok-1'))?.secret).toBe('tok-2');
    expect(source.calls).toBe(2);
  });

  it('keeps a refusal for every worker: the issuer is asked once, every call fails with its reason', async () => {
    let calls = 0;
    const source: CredentialSource = {
      key: credentialKey('acct-2', 'test'),
      accountId: 'acct-2',
      provider: 'anthropic',
      async issue() {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw refreshRefused('anthropic', 'acct-2', 'invalid_grant (Refresh token has been revoked)');
      },
    };
    const results = await Promise.allSettled(stores(3).map((store) => store.current(source)));
    expect(calls).toBe(1);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as ProviderError;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.kind).toBe('auth');
      expect(error.message).toBe(
        'anthropic account "acct-2": the credential refresh was refused: invalid_grant (Refresh token has been revoked)',
      );
    }
  });

  it('does not keep a failure that a retry may fix', async () => {
    let calls = 0;
    const source: CredentialSource = {
      key: credentialKey('acct-3', 'test'),
      accountId: 'acct-3',
      provider: 'anthropic',
      async issue() {
        calls += 1;
        if (calls === 1) throw new ProviderError({ kind: 'network', provider: 'anthropic', message: 'unreachable' });
        return { secret: 'tok-ok', issuedAt: clock, expiresAt: clock + 60_000 };
      },
    };
    const [store] = stores(1);
    await expect(store?.current(source)).rejects.toThrow('unreachable');
    expect((await store?.current(source))?.secret).toBe('tok-ok');
  });

  it('seals the record with secrets.key: the token is not readable in Redis', async () => {
    const source = countingSource();
    const [store] = stores(1, 'a-secret-key-of-sixteen-or-more');
    await store?.current(source);
    const raw = (await connection().get(keys.credential(source.key))) ?? '';
    expect(raw.startsWith('gcm1.')).toBe(true);
    expect(raw).not.toContain('tok-1');
    expect(raw).not.toContain('rt-1');
    // Another worker with the same key reads it; one without cannot.
    const [other] = stores(1, 'a-secret-key-of-sixteen-or-more');
    expect((await other?.current(source))?.secret).toBe('tok-1');
    const [keyless] = stores(1);
    await expect(keyless?.current(source)).rejects.toThrow(/secrets\.key/);
  });

  it('takes over a lock whose holder died once it expires', async () => {
    const source = countingSource();
    const redis = connection();
    await redis.set(keys.credentialLock(source.key), 'a-dead-worker', 'PX', 200);
    const [store] = stores(1);
    expect((await store?.current(source))?.secret).toBe('tok-1');
    expect(source.calls).toBe(1);
  });
});

describe('localCredentialStore', () => {
  it('issues once for concurrent calls and again when rejected', async () => {
    const source = countingSource();
    const store = localCredentialStore(now);
    await Promise.all([store.current(source), store.current(source), store.current(source)]);
    expect(source.calls).toBe(1);
    expect((await store.current(source, 'tok-1')).secret).toBe('tok-2');
  });
});
