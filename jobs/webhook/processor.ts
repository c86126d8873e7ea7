import type { Job } from 'bullmq';
import { getBatch } from '../../src/batches/batch-store.ts';
import { countWebhookResult } from '../../src/metrics/totals.ts';
import type { WebhookWorkerParts } from '../../src/worker/job-types.ts';
import { parseWebhookUrl, WebhookAddressError } from '../../src/webhooks/address-guard.ts';
import {
  addDelivery,
  getDelivery,
  readEvent,
  recordAttempt,
  recordEvent,
  setDelivery,
  type Delivery,
} from '../../src/webhooks/delivery-log.ts';
import { deliverOnce } from '../../src/webhooks/deliver.ts';
import { disableEndpoint, endpointsFor, getEndpoint, listEndpoints } from '../../src/webhooks/endpoints.ts';
import { batchEvent, tenantOf, type WebhookEventType } from '../../src/webhooks/events.ts';
import { signingSecrets } from '../../src/webhooks/signing-secrets.ts';
import { signedHeaders } from '../../src/webhooks/signing.ts';
import { deliveryJobOptions, DeliveryRetry, retryDelayMs } from './options.ts';
import { webhookJobSchema, type DeliveryJob, type WebhookJob } from './payload.ts';
import { deliveryJobId, targetOf } from './queue.ts';

/** The worker's parts it works with (the webhook queue, for the deliveries an event fans out into). */
export type WebhookProcessorDeps = WebhookWorkerParts;

/**
 * Runs webhook jobs. An event job records the event's body once (a rerun sends the same body)
 * and queues one delivery per target: the batch's own URLs and the registered endpoints of its
 * tenant that want the event. A delivery signs the body with a fresh timestamp and posts it;
 * a failure is logged with the delay chosen and thrown back to BullMQ with it, until the last
 * attempt. 410 Gone disables a registered endpoint; a refused address is not retried.
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps) {
  const { redis, keys, config, queue, dispatcher, logger } = deps;
  const secretsKey = config.secrets.key;

  async function fanOut(eventId: string, batchId: string): Promise<void> {
    const batch = await getBatch(redis, keys, batchId);
    const current = batch !== null && batch.event_id === eventId ? batch : null;
    let stored = await readEvent(redis, keys, eventId);
    if (stored === null) {
      const event = current === null ? null : batchEvent(eventId, current);
      if (current === null || event === null) return;
      stored = await recordEvent(redis, keys, {
        id: eventId,
        batch_id: batchId,
        type: event.type,
        tenant: tenantOf(current),
        created_at: event.created_at * 1000,
        payload: JSON.stringify(event),
      });
    }
    // The targets: those already recorded (a rerun after a crash midway), the batch's own URLs
    // and the endpoints that want the event. Recording and queueing twice changes nothing.
    const targets = new Map<string, { url: string; endpointId: string | null }>();
    for (const text of await redis.hvals(keys.webhookDeliveries(eventId))) {
      const delivery = JSON.parse(text) as Delivery;
      targets.set(delivery.target, { url: delivery.url, endpointId: delivery.endpoint_id });
    }
    if (current !== null) {
      const type = stored.type as WebhookEventType;
      for (const url of current.webhooks) targets.set(targetOf({ url, endpointId: null }), { url, endpointId: null });
      for (const endpoint of endpointsFor(await listEndpoints(redis, keys), type, tenantOf(current)))
        targets.set(endpoint.id, { url: endpoint.url, endpointId: endpoint.id });
    }
    const jobs = [];
    for (const [id, target] of targets) {
      await addDelivery(redis, keys, eventId, {
        target: id,
        url: target.url,
        endpoint_id: target.endpointId,
        state: 'pending',
        attempts: 0,
        last_status_code: null,
        last_error: null,
        next_attempt_at: null,
        delivered_at: null,
      });
      jobs.push({
        name: 'delivery',
        data: { kind: 'delivery' as const, eventId, target: id, url: target.url, endpointId: target.endpointId },
        opts: deliveryJobOptions(deliveryJobId(eventId, id)),
      });
    }
    if (jobs.length > 0) await queue.addBulk(jobs);
    logger.info({ batchId, eventId, type: stored.type, targets: jobs.length }, 'webhook event recorded');
  }

  async function deliver(job: Job<WebhookJob>, data: DeliveryJob): Promise<void> {
    const { eventId, target } = data;
    const event = await readEvent(redis, keys, eventId);
    if (event === null) return;
    const before = (await getDelivery(redis, keys, eventId, target)) ?? {
      target,
      url: data.url,
      endpoint_id: data.endpointId,
      state: 'pending' as const,
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: null,
      delivered_at: null,
    };
    // A registered endpoint is signed with its own tenant's secret (every batch's when it has
    // none); a URL given at submit with the secret of the batch's tenant.
    let signingTenant = event.tenant;
    if (data.endpointId !== null) {
      const endpoint = await getEndpoint(redis, keys, data.endpointId);
      if (endpoint === null || endpoint.disabled_at !== null) {
        const reason =
          endpoint === null ? 'the endpoint was removed' : `the endpoint is disabled (${endpoint.disabled_reason ?? 'by hand'})`;
        await setDelivery(redis, keys, eventId, { ...before, state: 'skipped', last_error: reason, next_attempt_at: null });
        await countWebhookResult(redis, keys, 'skipped');
        return;
      }
      signingTenant = endpoint.tenant;
    }
    const attempt = before.attempts + 1;
    const timestamp = Math.floor(Date.now() / 1000);
    const at = Date.now();
    const secrets = await signingSecrets(redis, keys, signingTenant, secretsKey);
    const headers = signedHeaders(secrets, eventId, timestamp, event.payload);
    let outcome: Awaited<ReturnType<typeof deliverOnce>>;
    try {
      parseWebhookUrl(data.url);
      outcome = await deliverOnce(dispatcher, data.url, headers, event.payload, config.webhooks.timeoutMs);
    } catch (error) {
      if (!(error instanceof WebhookAddressError)) throw error;
      outcome = { ok: false, statusCode: null, latencyMs: 0, error: error.message, retryAfterMs: null, refused: true, response: '' };
    }
    const gone = outcome.statusCode === 410;
    const final = outcome.ok || gone || outcome.refused || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const retryIn = final ? null : retryDelayMs(job.attemptsMade + 1, outcome.retryAfterMs);
    await recordAttempt(redis, keys, eventId, {
      target,
      attempt,
      at,
      timestamp,
      status_code: outcome.statusCode,
      latency_ms: outcome.latencyMs,
      error: outcome.error,
      retry_in_ms: retryIn,
    });
    const fields = { job: job.id, eventId, target, attempt, statusCode: outcome.statusCode, latencyMs: outcome.latencyMs };
    if (outcome.ok) {
      await setDelivery(redis, keys, eventId, {
        ...before,
        state: 'delivered',
        attempts: attempt,
        last_status_code: outcome.statusCode,
        last_error: null,
        next_attempt_at: null,
        delivered_at: Date.now(),
      });
      await countWebhookResult(redis, keys, 'delivered');
      logger.info(fields, 'webhook delivered');
      return;
    }
    if (gone && data.endpointId !== null) await disableEndpoint(redis, keys, data.endpointId, 'the receiver answered 410 Gone');
    await setDelivery(redis, keys, eventId, {
      ...before,
      state: final ? 'failed' : 'retrying',
      attempts: attempt,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      next_attempt_at: retryIn === null ? null : Date.now() + retryIn,
    });
    await countWebhookResult(redis, keys, final ? 'failed' : 'retrying');
    if (final) {
      logger.warn({ ...fields, err: outcome.error }, 'webhook delivery failed for good');
      return;
    }
    logger.info({ ...fields, err: outcome.error, retryInMs: retryIn }, 'webhook delivery failed; trying again later');
    throw new DeliveryRetry(outcome.error ?? 'delivery failed', retryIn as number);
  }

  return async function processWebhook(job: Job<WebhookJob>): Promise<void> {
    const data = webhookJobSchema.parse(job.data);
    if (data.kind === 'event') await fanOut(data.eventId, data.batchId);
    else await deliver(job, data);
  };
}
