/**
 * The OpenAI API: `POST /v1/chat/completions` and `POST /v1/responses`, JSON and SSE, and
 * `POST /v1/embeddings` (JSON), with
 * `authorization: Bearer` keys, OpenAI's validation messages, error bodies, `x-ratelimit-*`
 * headers and 429s with `retry-after`. The wire format is in openai-wire.ts.
 */
import type { SimulatedProvider } from '../runtime.ts';
import { notFoundError, sendOpenAIError } from './openai-errors.ts';
import { openaiHandler } from './openai-wire.ts';

const chat = openaiHandler({ flavor: 'openai', endpoint: 'chat', requiresApiVersion: false });
const responses = openaiHandler({ flavor: 'openai', endpoint: 'responses', requiresApiVersion: false });
const embeddings = openaiHandler({ flavor: 'openai', endpoint: 'embeddings', requiresApiVersion: false });

export const openaiProvider: SimulatedProvider = {
  name: 'openai',
  route(path) {
    if (path === '/v1/chat/completions') return chat;
    if (path === '/v1/responses') return responses;
    if (path === '/v1/embeddings') return embeddings;
    return undefined;
  },
  notFound(exchange) {
    sendOpenAIError(exchange, 'openai', notFoundError('openai', exchange.path));
  },
  internalError(exchange, message) {
    sendOpenAIError(exchange, 'openai', { status: 500, error: { message, type: 'server_error' } });
  },
};
