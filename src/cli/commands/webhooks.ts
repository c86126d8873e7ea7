/**
 * `relayq webhooks add|list|remove|secret|deliveries|redeliver`: registered endpoints, the
 * tenants' signing secrets and the delivery log. Deliveries themselves are made by workers.
 */
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { escapeForTerminal } from '../../lib/terminal-text.ts';
import type { Runtime } from '../../runtime.ts';
import { checkWebhookUrl } from '../../webhooks/address-guard.ts';
import { listEventLogs, readEventLog, setDelivery, type EventLog } from '../../webhooks/delivery-log.ts';
import { addEndpoint, endpointIdPattern, listEndpoints, removeEndpoint } from '../../webhooks/endpoints.ts';
import { eventIdPattern, webhookEventTypes, type WebhookEventType } from '../../webhooks/events.ts';
import { currentSecret, rotateSecret } from '../../webhooks/signing-secrets.ts';
import { deliveryJobId, deliveryJobOptions, webhookQueueName, type WebhookJob } from '../../webhooks/webhook-job.ts';
import { checkBatchId, configHelp, UsageError, withRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { renderTable } from '../style.ts';

function eventsOf(list: string | undefined): WebhookEventType[] | undefined {
  if (list === undefined) return undefined;
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(webhookEventTypes as readonly string[]).includes(name))
      throw new UsageError(`--events: "${name}" is not an event (use ${webhookEventTypes.join(', ')})`);
  return names as WebhookEventType[];
}

export function registerWebhooksCommand(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description('webhook endpoints, signing secrets and the delivery log (batch.completed, failed, cancelled, expired)');

  webhooks
    .command('add')
    .argument('<url>', 'http(s) URL that gets the events')
    .description('register an endpoint for the events of every batch (of one tenant with --tenant); prints its id last')
    .option('--events <list>', `comma-separated events (default: all of ${webhookEventTypes.join(', ')})`)
    .option('--tenant <name>', 'only batches submitted with --tag tenant=NAME')
    .option('-c, --config <file>', configHelp)
    .action(async (url: string, options: { events?: string; tenant?: string; config?: string }) => {
      const events = eventsOf(options.events);
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        const checked = await checkWebhookUrl(url, runtime.config.webhooks);
        const endpoint = await addEndpoint(runtime.redis, runtime.keys, { url: checked.href, events, tenant: options.tenant ?? null });
        process.stderr.write(
          `endpoint ${endpoint.id}: ${endpoint.events.join(', ')} of ${endpoint.tenant === null ? 'every batch' : `tenant ${endpoint.tenant}`} -> ${endpoint.url}\n`,
        );
        process.stdout.write(`${endpoint.id}\n`);
      });
    });

  webhooks
    .command('list')
    .description('the registered endpoints')
    .option('--json', 'machine-readable output')
    .option('-c, --config <file>', configHelp)
    .action(async (options: { json?: boolean; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        const endpoints = await listEndpoints(runtime.redis, runtime.keys);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(endpoints, null, 2)}\n`);
          return;
        }
        if (endpoints.length === 0) {
          process.stderr.write('no webhook endpoints (relayq webhooks add URL)\n');
          return;
        }
        const rows = endpoints.map((endpoint) => [
          endpoint.id,
          escapeForTerminal(endpoint.url),
          endpoint.events.join(','),
          endpoint.tenant ?? '(all)',
          endpoint.disabled_at === null ? 'enabled' : `disabled: ${endpoint.disabled_reason ?? ''}`,
        ]);
        process.stdout.write(`${renderTable(['id', 'url', 'events', 'tenant', 'state'], rows)}\n`);
      });
    });

  webhooks
    .command('remove')
    .argument('<id>', 'endpoint id (we_...)')
    .description('remove a registered endpoint')
    .option('-c, --config <file>', configHelp)
    .action(async (id: string, options: { config?: string }) => {
      if (!endpointIdPattern.test(id)) throw new UsageError(`"${id}" is not an endpoint id (they look like we_1f2e...)`);
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        if (!(await removeEndpoint(runtime.redis, runtime.keys, id))) {
          process.stderr.write(`relayq: no webhook endpoint ${id} (relayq webhooks list shows them)\n`);
          return exitCodes.notFound;
        }
        process.stderr.write(`endpoint ${id} removed\n`);
        return exitCodes.ok;
      });
    });

  webhooks
    .command('secret')
    .description("print the signing secret (whsec_...) of a tenant's deliveries as the last line of stdout")
    .option('--tenant <name>', 'the tenant (batches tagged tenant=NAME); default: batches without one')
    .option('--rotate', 'make a new secret; the old one keeps signing too for 24 hours')
    .option('-c, --config <file>', configHelp)
    .action(async (options: { tenant?: string; rotate?: boolean; config?: string }) => {
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        const { redis, keys, config } = runtime;
        const tenant = options.tenant ?? null;
        const secret = options.rotate
          ? await rotateSecret(redis, keys, tenant, config.secrets.key)
          : await currentSecret(redis, keys, tenant, config.secrets.key);
        if (options.rotate) process.stderr.write('new signing secret; deliveries carry both signatures for 24 hours\n');
        if (config.secrets.key === undefined)
          process.stderr.write('note: signing secrets are stored unencrypted; set config secrets.key to encrypt them\n');
        process.stdout.write(`${secret}\n`);
      });
    });

  webhooks
    .command('deliveries')
    .description('the delivery log: each event, where it went, every attempt (status, latency, error)')
    .option('--batch <id>', "only this batch's events")
    .option('--failed', 'only deliveries that failed for good or are being retried')
    .option('--limit <n>', 'latest events shown', '50')
    .option('--json', 'machine-readable output')
    .option('-c, --config <file>', configHelp)
    .action(async (options: { batch?: string; failed?: boolean; limit: string; json?: boolean; config?: string }) => {
      const batchId = options.batch === undefined ? undefined : checkBatchId(options.batch);
      process.exitCode = await withRuntime({ configPath: options.config }, async (runtime) => {
        let logs = await listEventLogs(runtime.redis, runtime.keys, { batchId, limit: Number(options.limit) || 50 });
        if (options.failed)
          logs = logs
            .map((log) => ({ ...log, deliveries: log.deliveries.filter((d) => d.state === 'failed' || d.state === 'retrying') }))
            .filter((log) => log.deliveries.length > 0);
        if (options.json) process.stdout.write(`${JSON.stringify(logs, null, 2)}\n`);
        else if (logs.length === 0) process.stderr.write('no webhook deliveries\n');
        else process.stdout.write(`${logs.flatMap((log) => renderEventLog(log, true)).join('\n')}\n`);
      });
    });

  webhooks
    .command('redeliver')
    .argument('<event>', 'event id (evt_...)')
    .description('send an event again to each of its targets, with the same webhook-id (made by a worker)')
    .option('-c, --config <file>', configHelp)
    .action(async (eventId: string, options: { config?: string }) => {
      if (!eventIdPattern.test(eventId)) throw new UsageError(`"${eventId}" is not an event id (they look like evt_1f2e...)`);
      process.exitCode = await withRuntime({ configPath: options.config }, (runtime) => redeliver(runtime, eventId));
    });
}

async function redeliver(runtime: Runtime, eventId: string): Promise<number> {
  const log = await readEventLog(runtime.redis, runtime.keys, eventId);
  if (log === null) {
    process.stderr.write(`relayq: no webhook event ${eventId} (relayq webhooks deliveries lists them)\n`);
    return exitCodes.notFound;
  }
  if (log.deliveries.length === 0) {
    process.stderr.write(`event ${eventId} has no targets to send it to\n`);
    return exitCodes.ok;
  }
  const queue = new Queue<WebhookJob>(webhookQueueName, { connection: runtime.redis, prefix: runtime.keys.bullPrefix });
  try {
    const now = Date.now();
    for (const delivery of log.deliveries) {
      await setDelivery(runtime.redis, runtime.keys, eventId, { ...delivery, state: 'pending', next_attempt_at: null });
    }
    await queue.addBulk(
      log.deliveries.map((delivery) => ({
        name: 'delivery',
        data: { kind: 'delivery' as const, eventId, target: delivery.target, url: delivery.url, endpointId: delivery.endpoint_id },
        opts: deliveryJobOptions(deliveryJobId(eventId, delivery.target, now)),
      })),
    );
  } finally {
    await queue.close();
  }
  process.stderr.write(`event ${eventId} queued again for ${log.deliveries.length} target(s); a worker sends it\n`);
  return exitCodes.ok;
}

/** An event and its deliveries, a line each (and each attempt, when `attempts`). */
export function renderEventLog(log: EventLog, attempts: boolean): string[] {
  const lines = [`${log.id} ${log.type} batch ${log.batch_id} at ${new Date(log.created_at).toISOString()}`];
  if (log.deliveries.length === 0) lines.push('  no targets (no --webhook URL, no endpoint wanting it)');
  for (const delivery of log.deliveries) {
    const last = delivery.last_status_code === null ? '' : `, last answer ${delivery.last_status_code}`;
    const error = delivery.state === 'delivered' || delivery.last_error === null ? '' : `: ${escapeForTerminal(delivery.last_error)}`;
    const next = delivery.next_attempt_at === null ? '' : `, next attempt ${new Date(delivery.next_attempt_at).toISOString()}`;
    lines.push(
      `  ${escapeForTerminal(delivery.url)} ${delivery.state} (${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}${last}${next})${error}`,
    );
    if (!attempts) continue;
    for (const attempt of log.attempts.filter((entry) => entry.target === delivery.target)) {
      const outcome = attempt.status_code === null ? escapeForTerminal(attempt.error ?? 'no answer') : String(attempt.status_code);
      const retry = attempt.retry_in_ms === null ? '' : `, retry in ${Math.round(attempt.retry_in_ms / 1000)} s`;
      lines.push(`    #${attempt.attempt} ${new Date(attempt.at).toISOString()} ${outcome} in ${attempt.latency_ms} ms${retry}`);
    }
  }
  return lines;
}
