/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): every delivery carries
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list
 * of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret in force (two for a day
 * after a rotation). Secrets are `whsec_<base64 key>`; the `standardwebhooks` package and the
 * openai SDK's `webhooks.unwrap()` both verify these headers unchanged.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const signingSecretPrefix = 'whsec_';

/** A fresh signing secret: 24 random bytes, `whsec_` + base64. */
export function newSigningSecret(): string {
  return `${signingSecretPrefix}${randomBytes(24).toString('base64')}`;
}

export function isSigningSecret(text: string): boolean {
  return /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(text) && keyOf(text).length >= 16;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.slice(signingSecretPrefix.length), 'base64');
}

/** One `v1,<base64>` signature of a message. */
export function signatureOf(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(signingSecretPrefix)) throw new Error('a signing secret starts with whsec_');
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export type SignedHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

/** The three Standard Webhooks headers of a message, signed with every secret given (newest first). */
export function signedHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): SignedHeaders {
  if (secrets.length === 0) throw new Error('no signing secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signatureOf(secret, id, timestampSeconds, body)).join(' '),
  };
}
