/**
 * Dashboard sessions: logging in with a relayq key makes a session in Redis (shared by every
 * server, so any of them answers the next request) and a cookie holding only its random id.
 * Redis keeps the sha256 of the id, the key's hash and a CSRF token; every request looks the key
 * up again, so revoking it (`relayq keys revoke`) ends its sessions at once.
 *
 * Cookies: `HttpOnly`, `SameSite=Strict`, `Path=/`, and `Secure` when the dashboard is reached
 * over https. Every POST must carry the session's CSRF token (the `x-csrf-token` header htmx
 * sends, or a `_csrf` form field); the login form uses a double-submit cookie of its own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { findApiKeyByHash, hashApiKey, type ApiKeyInfo } from '../tenants/api-keys.ts';
import type { Viewer } from './html.ts';

export const sessionCookie = 'rq_session';
export const loginCsrfCookie = 'rq_login_csrf';
/** How long a session lasts without a new login. */
export const sessionTtlSeconds = 12 * 3600;

function idHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Whether two tokens are the same, in constant time. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.length === 0) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Makes a session for the key; returns the cookie's value. */
export async function createSession(redis: Redis, keys: Keys, secret: string): Promise<string> {
  const id = newToken();
  const key = keys.dashboardSession(idHash(id));
  await redis
    .multi()
    .hset(key, { keyHash: hashApiKey(secret), csrf: newToken() })
    .expire(key, sessionTtlSeconds)
    .exec();
  return id;
}

export async function destroySession(redis: Redis, keys: Keys, id: string): Promise<void> {
  await redis.del(keys.dashboardSession(idHash(id)));
}

/** The viewer of a session cookie; null when there is none, it expired, or its key was revoked. */
export async function readSession(redis: Redis, keys: Keys, id: string | undefined): Promise<Viewer | null> {
  if (id === undefined || id.length === 0) return null;
  const session = await redis.hmget(keys.dashboardSession(idHash(id)), 'keyHash', 'csrf');
  const [keyHash, csrf] = session;
  if (!keyHash || !csrf) return null;
  const info: ApiKeyInfo | null = await findApiKeyByHash(redis, keys, keyHash);
  if (info === null) return null;
  return { keyName: info.name, tenant: info.tenant, admin: info.admin, csrf };
}

/** Cookie attributes: Secure when the request came over https (directly or as a proxy says) or the public URL is https. */
export function cookieOptions(request: FastifyRequest, publicUrl: string, maxAge?: number) {
  const secure = request.protocol === 'https' || publicUrl.startsWith('https:');
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', secure, ...(maxAge === undefined ? {} : { maxAge }) };
}

/** The CSRF token a POST presents: the `x-csrf-token` header, else the `_csrf` form field. */
export function presentedCsrf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return typeof body?._csrf === 'string' ? body._csrf : undefined;
}

export function refuse(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).type('text/plain; charset=utf-8').send(message);
}
