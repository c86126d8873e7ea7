/**
 * The HTTP server: one Fastify instance with zod schemas (fastify-type-provider-zod) for every
 * route, so each body is checked at the boundary and the OpenAPI document at `/openapi.json` is
 * generated from the same schemas. It mounts:
 *
 * - `/healthz` (the process answers) and `/readyz` (Redis answers);
 * - `/api`: relayq's own API, what the command line does;
 * - `/metrics`: Prometheus metrics of the whole system (metrics-route.ts);
 * - `/v1` (files, batches): the OpenAI-compatible face; `/v1/messages/batches`: the Anthropic one;
 * - `/` the dashboard (its pages, `/live/` fragments, `/assets/`) and bull-board at `/queues`.
 *
 * Each face is an encapsulated plugin with its own authentication hook and error handler, so it
 * answers in its API's error shape; everything else answers `{"error": {"type", "message"}}`.
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { packageVersion } from '../lib/package-version.ts';
import { dashboard } from '../dashboard/index.ts';
import { anthropicFace } from './anthropic/index.ts';
import { nativeApi } from './api/index.ts';
import type { ServerContext } from './context.ts';
import { ApiError, nativeErrorHandler } from './errors.ts';
import { metricsRoute } from './metrics-route.ts';
import { openAiFace } from './openai/index.ts';

/** JSON bodies of routes that set no limit of their own. */
export const defaultBodyLimit = 1024 * 1024;

export async function buildServer(ctx: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'server' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: defaultBodyLimit,
    // Request ids in logs; a client's own x-request-id is kept.
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null as never);
  app.setErrorHandler(nativeErrorHandler(ctx.logger));
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { type: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'relayq',
        version: packageVersion(),
        description: "relayq's own API (/api) and its OpenAI- and Anthropic-compatible batch APIs (/v1)",
      },
      servers: [{ url: ctx.publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API key made with `relayq keys create` (rq_...)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with a `.meta({ id })` become named components.
    transformObject: jsonSchemaTransformObject,
  });

  app.get('/healthz', { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  app.get('/readyz', { schema: { hide: true, response: { 200: z.object({ status: z.literal('ready') }) } } }, async () => {
    const answered = await Promise.race([
      ctx.redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref()),
    ]);
    if (!answered) throw new ApiError('unavailable', 'Redis does not answer');
    return { status: 'ready' as const };
  });
  // The servers entry names the public URL, known for sure only once the server listens.
  app.get('/openapi.json', { schema: { hide: true } }, async () => ({ ...app.swagger(), servers: [{ url: ctx.publicUrl }] }));

  await app.register(metricsRoute, { ctx });
  await app.register(nativeApi, { prefix: '/api', ctx });
  await app.register(openAiFace, { prefix: '/v1', ctx });
  await app.register(anthropicFace, { prefix: '/v1/messages/batches', ctx });
  await app.register(dashboard, { ctx });
  return app;
}
