/**
 * One signing secret per tenant (`*` for batches without one), made on first use. After a
 * rotation the previous secret keeps signing next to the new one for 24 hours, so receivers can
 * switch over. Stored sealed (secret-box.ts): encrypted when config `secrets.key` is set.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';
import { openSecret, sealSecret } from '../lib/secret-box.ts';
import { newSigningSecret } from './signing.ts';

/** How long the secret before a rotation still signs. */
export const rotationOverlapMs = 24 * 3600 * 1000;

const storedSchema = z.object({
  current: z.string(),
  previous: z.string().nullable().default(null),
  rotated_at: z.number().nullable().default(null),
  created_at: z.number(),
});

const field = (tenant: string | null) => (tenant === null || tenant === '' ? '*' : `tenant:${tenant}`);

async function stored(redis: Redis, keys: Keys, tenant: string | null, key: string | undefined) {
  const name = field(tenant);
  let text = await redis.hget(keys.webhookSecrets(), name);
  if (text === null) {
    const fresh = JSON.stringify({
      current: sealSecret(newSigningSecret(), key),
      previous: null,
      rotated_at: null,
      created_at: Date.now(),
    });
    // Two first uses at once agree on one secret.
    await redis.hsetnx(keys.webhookSecrets(), name, fresh);
    text = (await redis.hget(keys.webhookSecrets(), name)) as string;
  }
  return storedSchema.parse(JSON.parse(text));
}

/** The secrets that sign a delivery now, newest first (two within a day of a rotation). */
export async function signingSecrets(redis: Redis, keys: Keys, tenant: string | null, key: string | undefined, now = Date.now()) {
  const secrets = await stored(redis, keys, tenant, key);
  const out = [openSecret(secrets.current, key)];
  if (secrets.previous !== null && secrets.rotated_at !== null && now - secrets.rotated_at < rotationOverlapMs)
    out.push(openSecret(secrets.previous, key));
  return out;
}

/** The tenant's current secret (made if it has none). */
export async function currentSecret(redis: Redis, keys: Keys, tenant: string | null, key: string | undefined): Promise<string> {
  return openSecret((await stored(redis, keys, tenant, key)).current, key);
}

/** A new secret for the tenant; the old one signs too for 24 hours. Returns the new one. */
export async function rotateSecret(redis: Redis, keys: Keys, tenant: string | null, key: string | undefined): Promise<string> {
  const before = await stored(redis, keys, tenant, key);
  // Decrypting first proves the key is right before anything is replaced.
  openSecret(before.current, key);
  const secret = newSigningSecret();
  const now = Date.now();
  await redis.hset(
    keys.webhookSecrets(),
    field(tenant),
    JSON.stringify({ current: sealSecret(secret, key), previous: before.current, rotated_at: now, created_at: before.created_at }),
  );
  return secret;
}
