/**
 * Azure OpenAI: Chat Completions on `/openai/deployments/{deployment}/chat/completions` and the
 * Responses API on `/openai/responses` (both need `?api-version=`), and the OpenAI-compatible
 * `/openai/v1/chat/completions` and `/openai/v1/responses`. Keys come in `api-key` (or as an
 * Entra ID `authorization: Bearer` token); errors have Azure's codes; 429s carry `retry-after`,
 * `retry-after-ms` and `x-ms-retry-after-ms`. The deployment name is the model the simulator
 * checks against its `models` and echoes back.
 */
import type { ExchangeHandler, SimulatedProvider } from '../runtime.ts';
import { notFoundError, sendOpenAIError } from './openai-errors.ts';
import { openaiHandler } from './openai-handler.ts';

const deploymentChatPath = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

const responses = openaiHandler({ flavor: 'azure-openai', endpoint: 'responses', requiresApiVersion: true });
const v1Chat = openaiHandler({ flavor: 'azure-openai', endpoint: 'chat', requiresApiVersion: false });
const v1Responses = openaiHandler({ flavor: 'azure-openai', endpoint: 'responses', requiresApiVersion: false });

function deploymentChat(deployment: string): ExchangeHandler {
  return openaiHandler({ flavor: 'azure-openai', endpoint: 'chat', deployment, requiresApiVersion: true });
}

export const azureOpenAIProvider: SimulatedProvider = {
  name: 'azure-openai',
  route(path) {
    if (!path.startsWith('/openai/')) return undefined;
    if (path === '/openai/v1/chat/completions') return v1Chat;
    if (path === '/openai/v1/responses') return v1Responses;
    if (path === '/openai/responses') return responses;
    const match = deploymentChatPath.exec(path);
    if (match === null) return undefined;
    let deployment: string;
    try {
      deployment = decodeURIComponent(match[1] ?? '');
    } catch {
      return undefined;
    }
    return deployment === '' ? undefined : deploymentChat(deployment);
  },
  notFound(exchange) {
    sendOpenAIError(exchange, 'azure-openai', notFoundError('azure-openai', exchange.path));
  },
  internalError(exchange, message) {
    sendOpenAIError(exchange, 'azure-openai', { status: 500, error: { code: 'InternalServerError', message } });
  },
};
