/**
 * Registered webhook endpoints (`relayq webhooks add URL`): an endpoint gets the events of every
 * batch of its tenant, or of every batch when it has none, as OpenAI's project webhooks do.
 * A 410 Gone answer disables it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';
import { webhookEventTypes, type WebhookEventType } from './events.ts';

export const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  tenant: z.string().nullable(),
  created_at: z.number(),
  disabled_at: z.number().nullable().default(null),
  disabled_reason: z.string().nullable().default(null),
});
export type WebhookEndpoint = z.infer<typeof endpointSchema>;

export const endpointIdPattern = /^we_[a-z0-9]+$/;

export async function addEndpoint(
  redis: Redis,
  keys: Keys,
  input: { url: string; events?: readonly WebhookEventType[]; tenant?: string | null },
): Promise<WebhookEndpoint> {
  const endpoint: WebhookEndpoint = {
    id: `we_${randomBytes(8).toString('hex')}`,
    url: input.url,
    events: input.events && input.events.length > 0 ? [...input.events] : [...webhookEventTypes],
    tenant: input.tenant ?? null,
    created_at: Date.now(),
    disabled_at: null,
    disabled_reason: null,
  };
  await redis.hset(keys.webhookEndpoints(), endpoint.id, JSON.stringify(endpoint));
  return endpoint;
}

export async function listEndpoints(redis: Redis, keys: Keys): Promise<WebhookEndpoint[]> {
  const all = await redis.hvals(keys.webhookEndpoints());
  return all.map((text) => endpointSchema.parse(JSON.parse(text))).sort((a, b) => a.created_at - b.created_at);
}

export async function getEndpoint(redis: Redis, keys: Keys, id: string): Promise<WebhookEndpoint | null> {
  const text = await redis.hget(keys.webhookEndpoints(), id);
  return text === null ? null : endpointSchema.parse(JSON.parse(text));
}

export async function removeEndpoint(redis: Redis, keys: Keys, id: string): Promise<boolean> {
  return (await redis.hdel(keys.webhookEndpoints(), id)) === 1;
}

export async function disableEndpoint(redis: Redis, keys: Keys, id: string, reason: string): Promise<void> {
  const endpoint = await getEndpoint(redis, keys, id);
  if (endpoint === null || endpoint.disabled_at !== null) return;
  await redis.hset(keys.webhookEndpoints(), id, JSON.stringify({ ...endpoint, disabled_at: Date.now(), disabled_reason: reason }));
}

/** The enabled endpoints that get this event of a batch of this tenant. */
export function endpointsFor(endpoints: readonly WebhookEndpoint[], type: WebhookEventType, tenant: string | null): WebhookEndpoint[] {
  return endpoints.filter(
    (endpoint) =>
      endpoint.disabled_at === null && endpoint.events.includes(type) && (endpoint.tenant === null || endpoint.tenant === tenant),
  );
}
