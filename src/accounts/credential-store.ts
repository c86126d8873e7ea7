/**
 * The credentials of every worker in one place: an account's current refreshed credential lives
 * in Redis (`{p}:credential:<account>:<fingerprint>`, sealed with `secrets.key` when it is set),
 * and one process at a time refreshes it, holding `{p}:credential:<...>:lock` (SET NX PX). The
 * others wait for the new one to appear instead of asking the issuer themselves, so a hundred
 * workers make one refresh per expiry, and a refresh token the issuer rotates is used once.
 *
 * A refresh the issuer refuses is stored too (`{failed, at}`, kept `failureHoldMs`): every worker
 * then fails its calls on the account with the same reason (the account gets disabled with it)
 * without asking the issuer again. Each process keeps the credential in memory as long as it is
 * usable, so a call costs no round trip to Redis.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Credential, CredentialSource, CredentialStore } from '../executors/credentials.ts';
import { ProviderError } from '../executors/errors.ts';
import { openSecret, sealSecret } from '../lib/secret-box.ts';
import { refreshRefused, usable } from '../providers/shared/credentials.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';

export interface CredentialStoreOptions {
  /** How long a refresh may hold the lock before another process may take over (ms). */
  lockMs?: number;
  /** How long a call waits for another process's refresh before it fails as retryable (ms). */
  waitMs?: number;
  /** How often a waiting call looks again (ms). */
  pollMs?: number;
  /** How long a refused refresh is answered from Redis before the issuer is asked again (ms). */
  failureHoldMs?: number;
  now?: () => number;
}

/** What Redis holds for a credential. */
type StoredRecord = { credential: Credential } | { failed: string; at: number };

/** A stored refresh token is kept this long without use (a refresh writes it again). */
const recordTtlMs = 90 * 24 * 3600_000;

const what = 'the refreshed account credentials';

export function createCredentialStore(
  redis: Redis,
  keys: Keys,
  secretKey: string | undefined,
  options: CredentialStoreOptions = {},
): CredentialStore {
  const lockMs = options.lockMs ?? 30_000;
  const waitMs = options.waitMs ?? 45_000;
  const pollMs = options.pollMs ?? 50;
  const failureHoldMs = options.failureHoldMs ?? 60_000;
  const now = options.now ?? Date.now;
  const scripted = withScripts(redis);
  const held = new Map<string, Credential>();
  const reading = new Map<string, Promise<Credential>>();

  async function read(name: string): Promise<StoredRecord | undefined> {
    const stored = await redis.get(keys.credential(name));
    if (stored === null) return undefined;
    return JSON.parse(openSecret(stored, secretKey, what)) as StoredRecord;
  }

  async function write(name: string, record: StoredRecord, ttlMs: number): Promise<void> {
    await redis.set(keys.credential(name), sealSecret(JSON.stringify(record), secretKey), 'PX', ttlMs);
  }

  /** The stored credential when it is usable; throws the stored refusal while it holds. */
  function fromRecord(source: CredentialSource, record: StoredRecord | undefined, rejected: string | undefined): Credential | undefined {
    if (record === undefined) return undefined;
    if ('failed' in record) {
      if (now() - record.at < failureHoldMs) throw refreshRefused(source.provider, source.accountId, record.failed);
      return undefined;
    }
    return usable(record.credential, now(), rejected) ? record.credential : undefined;
  }

  async function refreshShared(source: CredentialSource, rejected: string | undefined): Promise<Credential> {
    const name = source.key;
    const lockKey = keys.credentialLock(name);
    const deadline = now() + waitMs;
    for (;;) {
      const found = fromRecord(source, await read(name), rejected);
      if (found !== undefined) return found;
      const token = randomBytes(12).toString('base64url');
      if ((await redis.set(lockKey, token, 'PX', lockMs, 'NX')) === 'OK') {
        try {
          // Another process may have refreshed between the read and the lock.
          const record = await read(name);
          const fresh = fromRecord(source, record, rejected);
          if (fresh !== undefined) return fresh;
          const previous = record !== undefined && 'credential' in record ? record.credential : undefined;
          let issued: Credential;
          try {
            issued = await source.issue(previous);
          } catch (error) {
            if (error instanceof ProviderError && error.kind === 'auth') {
              await write(name, { failed: refusalReason(error), at: now() }, failureHoldMs);
            }
            throw error;
          }
          await write(name, { credential: issued }, recordTtlMs);
          return issued;
        } finally {
          await scripted.releaseLock(lockKey, token);
        }
      }
      if (now() >= deadline) {
        throw new ProviderError({
          kind: 'network',
          provider: source.provider,
          message: `${source.provider} account "${source.accountId}": waited ${waitMs} ms for another worker's credential refresh`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  return {
    async current(source, rejected) {
      for (;;) {
        const known = held.get(source.key);
        if (usable(known, now(), rejected)) return known;
        const running = reading.get(source.key);
        if (running !== undefined) {
          let got: Credential;
          try {
            got = await running;
          } finally {
            if (reading.get(source.key) === running) reading.delete(source.key);
          }
          // A credential issued already due (a short-lived one) is still the newest there is.
          if (got.secret !== rejected) return got;
          continue;
        }
        const next = refreshShared(source, rejected).then((credential) => {
          held.set(source.key, credential);
          return credential;
        });
        reading.set(source.key, next);
        try {
          return await next;
        } finally {
          if (reading.get(source.key) === next) reading.delete(source.key);
        }
      }
    },
  };
}

/** The issuer's reason out of a refusal's message (what follows "was refused: "). */
function refusalReason(error: ProviderError): string {
  const marker = 'was refused: ';
  const at = error.message.indexOf(marker);
  return at < 0 ? error.message : error.message.slice(at + marker.length);
}
