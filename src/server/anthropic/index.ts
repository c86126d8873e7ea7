/** The Anthropic-compatible Message Batches API, mounted under `/v1/messages/batches`. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.ts';

export const anthropicFace: FastifyPluginAsync<{ ctx: ServerContext }> = async () => {};
