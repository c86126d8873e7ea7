/**
 * The OpenAI-compatible Files and Batches API, mounted under `/v1`: the official SDKs work against
 * it with `baseURL: <publicUrl>/v1` and a relayq API key. Answers and errors in OpenAI's shapes.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import { authenticate } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { registerBatchRoutes } from './batches-routes.ts';
import { registerFileRoutes } from './files-routes.ts';
import { openAiErrorHandler } from './openai-error.ts';

export const openAiFace: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.setErrorHandler(openAiErrorHandler(ctx.logger));
  app.addHook('onRequest', async (request) => {
    // The Anthropic face lives under /v1/messages/batches, a plugin of its own.
    const principal = await authenticate(ctx, request.headers);
    if (principal === null)
      throw new ApiError(
        'authentication_error',
        'Incorrect API key provided. Make one with `relayq keys create` and send it as a Bearer token.',
      );
    request.principal = principal;
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: {
        message: `Invalid URL (${request.method} ${request.url.split('?')[0]})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });
  await app.register(multipart);
  registerFileRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
};
