/** The OpenAI-compatible Files and Batches API, mounted under `/v1`. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.ts';

export const openAiFace: FastifyPluginAsync<{ ctx: ServerContext }> = async () => {};
