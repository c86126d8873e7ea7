/**
 * relayq's own API under `/api`: what the command line does, over HTTP, through the same
 * functions the commands call. Every route needs an API key; a tenant sees only its own batches
 * (another tenant's batch is a 404, so ids leak nothing), an admin key sees all.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticate } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError, nativeErrorHandler } from '../errors.ts';
import { loadPrices } from '../../usage/prices.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { registerBatchRoutes } from './batch-routes.ts';

export const nativeApi: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.setErrorHandler(nativeErrorHandler(ctx.logger));
  app.addHook('onRequest', async (request) => {
    const principal = await authenticate(ctx, request.headers);
    if (principal === null)
      throw new ApiError('authentication_error', 'missing or unknown API key: send `Authorization: Bearer rq_...` or `x-api-key: rq_...`');
    request.principal = principal;
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { type: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
  const prices = await loadPrices();
  registerBatchRoutes(app, ctx, prices);
  registerAccountRoutes(app, ctx, prices);
};
