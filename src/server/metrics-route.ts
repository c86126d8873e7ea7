/**
 * `GET /metrics`: the whole system's metrics in Prometheus' text format (src/metrics/exposition.ts,
 * read from Redis at each scrape), with this process's own when it runs a worker too. Behind
 * `server.metrics.token` when the config sets one: 401 with a Bearer challenge otherwise.
 */
import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { metricsChallenge, presentsToken } from '../metrics/bearer.ts';
import { createSystemMetrics } from '../metrics/exposition.ts';
import { loadPrices } from '../usage/prices.ts';
import { webhookQueueName } from '../webhooks/webhook-job.ts';
import type { ServerContext } from './context.ts';
import { ApiError } from './errors.ts';

export const metricsRoute: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const webhookQueue = new Queue(webhookQueueName, { connection: ctx.redis, prefix: ctx.keys.bullPrefix });
  app.addHook('onClose', async () => {
    await webhookQueue.close();
  });
  const system = createSystemMetrics({
    redis: ctx.redis,
    keys: ctx.keys,
    config: ctx.config,
    queues: [
      { name: ctx.promptQueue.name, queue: ctx.promptQueue },
      { name: webhookQueueName, queue: webhookQueue },
    ],
    prices: await loadPrices(),
  });
  const registry = ctx.processMetrics === undefined ? system : Registry.merge([system, ctx.processMetrics]);
  const token = ctx.config.server.metrics.token;

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!presentsToken(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header('www-authenticate', metricsChallenge)
        .type('text/plain; charset=utf-8')
        .send("a bearer token is needed (the config's server.metrics.token)\n");
    }
    let text: string;
    try {
      text = await registry.metrics();
    } catch (error) {
      request.log.warn({ err: error }, 'reading metrics from Redis failed');
      throw new ApiError('unavailable', 'metrics unavailable: Redis does not answer');
    }
    return reply.type(registry.contentType).send(text);
  });
};
