/**
 * Who a request is: the API key it presents, as `Authorization: Bearer rq_…` (openai-node,
 * @anthropic-ai/sdk 1.x) or `x-api-key: rq_…` (@anthropic-ai/sdk 0.x). Each API face has its own
 * onRequest hook that calls `authenticate` and answers 401 in its own error shape, then reads
 * the principal with `principalOf`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { findApiKey } from '../tenants/api-keys.ts';
import type { ServerContext } from './context.ts';

export interface Principal {
  keyName: string;
  tenant: string;
  admin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** The key a request presents, from `Authorization: Bearer` or `x-api-key`; null when neither holds one. */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const apiKey = headers['x-api-key'];
  const value = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** The principal of a live key the headers present; null when the key is missing, unknown or revoked. */
export async function authenticate(ctx: ServerContext, headers: IncomingHttpHeaders): Promise<Principal | null> {
  const secret = presentedKey(headers);
  if (secret === null) return null;
  const key = await findApiKey(ctx.redis, ctx.keys, secret);
  return key === null ? null : { keyName: key.name, tenant: key.tenant, admin: key.admin };
}

/** The principal the face's onRequest hook set; throws when a route runs without one (a wiring bug). */
export function principalOf(request: FastifyRequest): Principal {
  const principal = (request as Partial<FastifyRequest>).principal;
  if (principal === undefined) throw new Error(`route ${request.url} ran without authentication`);
  return principal;
}

export { canSee } from '../tenants/visibility.ts';
