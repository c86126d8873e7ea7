/**
 * API keys for `relayq server`. A key is `rq_` + 32 random bytes (base64url), shown once when it
 * is made; Redis keeps only its SHA-256, so a copy of Redis gives no usable key. Each key has a
 * name (what `keys list` and `keys revoke` use), belongs to a tenant (default: its name) and may
 * be an admin key (sees every tenant). A revoked key stays listed, marked revoked, and answers no
 * request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

export const apiKeyPrefix = 'rq_';

/** Key names and tenant names: letters, digits, `_`, `.`, `-`, 1 to 64 characters. */
export const keyNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;
export const keyNameRule = 'letters, digits, "_", "." and "-", 1 to 64 characters';

const storedKeySchema = z.object({
  tenant: z.string(),
  admin: z.boolean(),
  created_at: z.string(),
  revoked: z.boolean(),
  revoked_at: z.string().nullable().default(null),
  hash: z.string(),
});

/** What `keys list` shows of a key: never the key, nor its hash. */
export interface ApiKeyInfo {
  name: string;
  tenant: string;
  admin: boolean;
  created_at: string;
  revoked: boolean;
  revoked_at: string | null;
}

/** A bad name or tenant, or a name already taken: a message a person can act on. */
export class ApiKeyError extends Error {}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newApiKeySecret(): string {
  return `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

export interface CreateApiKeyOptions {
  name: string;
  /** The tenant the key's batches and files belong to; default: the key's name. */
  tenant?: string;
  admin?: boolean;
}

/** Makes a key; returns it (the only time it is seen) and its record. */
export async function createApiKey(redis: Redis, keys: Keys, options: CreateApiKeyOptions): Promise<{ key: string; info: ApiKeyInfo }> {
  const tenant = options.tenant ?? options.name;
  if (!keyNamePattern.test(options.name)) throw new ApiKeyError(`key name "${options.name}" is not valid: use ${keyNameRule}`);
  if (!keyNamePattern.test(tenant)) throw new ApiKeyError(`tenant "${tenant}" is not valid: use ${keyNameRule}`);
  const key = newApiKeySecret();
  const hash = hashApiKey(key);
  const info: ApiKeyInfo = {
    name: options.name,
    tenant,
    admin: options.admin ?? false,
    created_at: new Date().toISOString(),
    revoked: false,
    revoked_at: null,
  };
  const { name: _name, ...stored } = info;
  const created = await redis.hsetnx(keys.apiKeys(), options.name, JSON.stringify({ ...stored, hash }));
  if (created === 0) throw new ApiKeyError(`a key named "${options.name}" exists already (revoked keys keep their name)`);
  await redis.hset(keys.apiKeyHashes(), hash, options.name);
  return { key, info };
}

function readStored(json: string | null): z.infer<typeof storedKeySchema> | null {
  if (json === null) return null;
  try {
    const parsed = storedKeySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function toInfo(name: string, stored: z.infer<typeof storedKeySchema>): ApiKeyInfo {
  return {
    name,
    tenant: stored.tenant,
    admin: stored.admin,
    created_at: stored.created_at,
    revoked: stored.revoked,
    revoked_at: stored.revoked_at,
  };
}

/** Every key, by name; no secrets. */
export async function listApiKeys(redis: Redis, keys: Keys): Promise<ApiKeyInfo[]> {
  const entries = await redis.hgetall(keys.apiKeys());
  const infos: ApiKeyInfo[] = [];
  for (const [name, json] of Object.entries(entries)) {
    const stored = readStored(json);
    if (stored !== null) infos.push(toInfo(name, stored));
  }
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}

/** Revokes a key; false when no key has that name. Revoking twice is fine. */
export async function revokeApiKey(redis: Redis, keys: Keys, name: string): Promise<boolean> {
  const stored = readStored(await redis.hget(keys.apiKeys(), name));
  if (stored === null) return false;
  if (!stored.revoked) {
    await redis.hset(keys.apiKeys(), name, JSON.stringify({ ...stored, revoked: true, revoked_at: new Date().toISOString() }));
    await redis.hdel(keys.apiKeyHashes(), stored.hash);
  }
  return true;
}

/** The live key a request presents; null for an unknown or revoked one. */
export async function findApiKey(redis: Redis, keys: Keys, secret: string): Promise<ApiKeyInfo | null> {
  if (!secret.startsWith(apiKeyPrefix)) return null;
  return findApiKeyByHash(redis, keys, hashApiKey(secret));
}

/** The live key with this hash (what a dashboard session keeps instead of the key); null when unknown or revoked. */
export async function findApiKeyByHash(redis: Redis, keys: Keys, hash: string): Promise<ApiKeyInfo | null> {
  const name = await redis.hget(keys.apiKeyHashes(), hash);
  if (name === null) return null;
  const stored = readStored(await redis.hget(keys.apiKeys(), name));
  // The hash must match the record too: a stale hash entry of a re-made name opens nothing.
  if (stored === null || stored.revoked || stored.hash !== hash) return null;
  return toInfo(name, stored);
}
