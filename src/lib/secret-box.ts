/**
 * Secrets at rest (webhook signing secrets, the accounts' refreshed credentials): with config
 * `secrets.key` set, a stored secret is AES-256-GCM ciphertext
 * (`gcm1.<iv>.<tag>.<ciphertext>`, base64url parts) under a key derived from it with HKDF-SHA256;
 * without one it is stored as `plain.<secret>`. A secret sealed under a key cannot be read
 * without that key: the error says so instead of handing out garbage.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export class SecretKeyError extends Error {}

function derivedKey(key: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), 'relayq-secrets', 'relayq webhook signing secrets', 32));
}

export function sealSecret(secret: string, key: string | undefined): string {
  if (key === undefined || key === '') return `plain.${secret}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(key), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['gcm1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

/** `what` names the secret in errors (plural: "the webhook signing secrets"). */
export function openSecret(stored: string, key: string | undefined, what = 'the webhook signing secrets'): string {
  if (stored.startsWith('plain.')) return stored.slice('plain.'.length);
  const [scheme, iv, tag, sealed] = stored.split('.');
  if (scheme !== 'gcm1' || iv === undefined || tag === undefined || sealed === undefined)
    throw new SecretKeyError(`one of ${what} in Redis is in an unknown format`);
  if (key === undefined || key === '')
    throw new SecretKeyError(`${what} are encrypted: set config secrets.key to the key they were stored with`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', derivedKey(key), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyError(`one of ${what} cannot be decrypted with config secrets.key (was the key changed?)`);
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith('gcm1.');
}
