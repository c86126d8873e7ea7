/** `/api/accounts` (admin keys) and `/api/usage`: what `relayq accounts` and `relayq usage` show and do. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sinceMs } from '../../lib/duration.ts';
import { accountsOverview, setAccountEnabledIfKnown } from '../../operations/accounts.ts';
import { usageReport } from '../../operations/usage.ts';
import type { PriceTable } from '../../usage/prices.ts';
import { principalOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { operationDeps, requireAdmin } from './batch-access.ts';
import {
  accountParamsSchema,
  accountSchema,
  accountsResponseSchema,
  disableBodySchema,
  errorBodySchema,
  usageQuerySchema,
  usageResponseSchema,
} from './schemas.ts';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };

export function registerAccountRoutes(app: FastifyInstance, ctx: ServerContext, prices: PriceTable): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const deps = operationDeps(ctx);

  api.get(
    '/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Every account: health, limits, capacity, calls, recent errors (admin keys)',
        response: { 200: accountsResponseSchema, ...errors },
      },
    },
    async (request) => {
      requireAdmin(principalOf(request));
      return accountsOverview(deps);
    },
  );

  for (const enabled of [true, false]) {
    api.post(
      `/accounts/:id/${enabled ? 'enable' : 'disable'}`,
      {
        schema: {
          tags: ['accounts'],
          summary: enabled
            ? 'Let workers use the account again (admin keys)'
            : 'Stop every worker from sending new calls to the account; calls in flight finish (admin keys)',
          params: accountParamsSchema,
          ...(enabled ? {} : { body: disableBodySchema }),
          response: { 200: accountSchema, ...errors },
        },
      },
      async (request) => {
        requireAdmin(principalOf(request));
        const { id } = request.params;
        const reason = enabled ? undefined : (request.body as { reason?: string } | undefined)?.reason;
        if (!(await setAccountEnabledIfKnown(deps, id, enabled, reason))) throw new ApiError('not_found', `no account ${id}`);
        const account = (await accountsOverview(deps)).accounts.find((candidate) => candidate.id === id);
        if (account === undefined) throw new ApiError('not_found', `no account ${id}`);
        return account;
      },
    );
  }

  api.get(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Tokens and list-price cost, by account, model, batch, day or provider',
        description: "A tenant's key sees the usage of its own batches; an admin key sees all.",
        querystring: usageQuerySchema,
        response: { 200: usageResponseSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const since = sinceMs(request.query.since) ?? Date.now();
      return usageReport(deps, { since, by: request.query.by, prices, tenant: principal.admin ? undefined : principal.tenant });
    },
  );
}
