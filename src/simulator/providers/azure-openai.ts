/**
 * Azure OpenAI: Chat Completions on `/openai/deployments/{deployment}/chat/completions` and the
 * Responses API on `/openai/responses` (both need `?api-version=`), and the OpenAI-compatible
 * `/openai/v1/chat/completions` and `/openai/v1/responses`; Embeddings on
 * `/openai/deployments/{deployment}/embeddings` and `/openai/v1/embeddings`. Keys come in `api-key` (or as an
 * Entra ID `authorization: Bearer` token); errors have Azure's codes; 429s carry `retry-after`,
 * `retry-after-ms` and `x-ms-retry-after-ms`. The deployment name is the model the simulator
 * checks against its `models` and echoes back.
 */
import type { ExchangeHandler, SimulatedProvider } from '../runtime.ts';
import { notFoundError, sendOpenAIError } from './openai-errors.ts';
import { openaiHandler } from './openai-wire.ts';

const deploymentPath = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

const responses = openaiHandler({ flavor: 'azure-openai', endpoint: 'responses', requiresApiVersion: true });
const v1Chat = openaiHandler({ flavor: 'azure-openai', endpoint: 'chat', requiresApiVersion: false });
const v1Responses = openaiHandler({ flavor: 'azure-openai', endpoint: 'responses', requiresApiVersion: false });
const v1Embeddings = openaiHandler({ flavor: 'azure-openai', endpoint: 'embeddings', requiresApiVersion: false });

function deploymentHandler(deployment: string, endpoint: 'chat' | 'embeddings'): ExchangeHandler {
  return openaiHandler({ flavor: 'azure-openai', endpoint, deployment, requiresApiVersion: true });
}

export const azureOpenAIProvider: SimulatedProvider = {
  name: 'azure-openai',
  route(path) {
    if (!path.startsWith('/openai/')) return undefined;
    if (path === '/openai/v1/chat/completions') return v1Chat;
    if (path === '/openai/v1/responses') return v1Responses;
    if (path === '/openai/v1/embeddings') return v1Embeddings;
    if (path === '/openai/responses') return responses;
    const match = deploymentPath.exec(path);
    if (match === null) return undefined;
    let deployment: string;
    try {
      deployment = decodeURIComponent(match[1] ?? '');
    } catch {
      return undefined;
    }
    if (deployment === '') return undefined;
    return deploymentHandler(deployment, match[2] === 'embeddings' ? 'embeddings' : 'chat');
  },
  notFound(exchange) {
    sendOpenAIError(exchange, 'azure-openai', notFoundError('azure-openai', exchange.path));
  },
  internalError(exchange, message) {
    sendOpenAIError(exchange, 'azure-openai', { status: 500, error: { code: 'InternalServerError', message } });
  },
};
