/**
 * Where and how to call the OpenAI API for one account: which endpoint a request goes to (Chat
 * Completions, Responses or Embeddings), its URL, auth and organization headers, the body as sent, and which
 * response headers to keep.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { OpenAIAccount } from './account.ts';
import { ProviderError } from '../../executors/errors.ts';
import type { ExecuteRequest, JsonObject } from '../../executors/types.ts';
import { jsonRequestHeaders, pickHeaders } from '../shared/headers.ts';

export const openaiDefaultBaseUrl = 'https://api.openai.com';

/** The APIs relayq speaks: Chat Completions, Responses and Embeddings. */
export type OpenAIEndpoint = 'chat' | 'responses' | 'embeddings';

export const openaiEndpointPaths: Readonly<Record<OpenAIEndpoint, string>> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  embeddings: '/v1/embeddings',
};

/**
 * The endpoint of a request: `request.endpoint` when set (`/v1/chat/completions`,
 * `chat/completions`, `/v1/responses`, ...), else from the body (`messages` → chat, `input` →
 * responses). Anything else is an invalid request that names what is accepted.
 */
export function resolveOpenAIEndpoint(request: Pick<ExecuteRequest, 'endpoint' | 'body'>, provider = 'openai'): OpenAIEndpoint {
  if (request.endpoint !== undefined) {
    const path = request.endpoint.trim().replace(/^\/+/, '').replace(/^v1\//, '').replace(/\/+$/, '');
    if (path === 'chat/completions') return 'chat';
    if (path === 'responses') return 'responses';
    if (path === 'embeddings') return 'embeddings';
    throw new ProviderError({
      kind: 'invalid_request',
      provider,
      message:
        `${provider}: endpoint "${request.endpoint}" is not supported; relayq sends ` +
        `${openaiEndpointPaths.chat}, ${openaiEndpointPaths.responses} and ${openaiEndpointPaths.embeddings}`,
    });
  }
  if (Array.isArray(request.body.messages)) return 'chat';
  if (request.body.input !== undefined) return 'responses';
  throw new ProviderError({
    kind: 'invalid_request',
    provider,
    message:
      `${provider}: cannot tell the endpoint from the body: a Chat Completions body has "messages", ` +
      'a Responses body has "input"; or set "endpoint" on the line',
  });
}

/**
 * `{baseUrl}/v1/chat/completions`, `{baseUrl}/v1/responses` or `{baseUrl}/v1/embeddings`. A trailing slash is ignored, and
 * so is a trailing `/v1` (the OpenAI SDKs' base URL spelling), so both forms work.
 */
export function openaiUrl(account: Pick<OpenAIAccount, 'baseUrl'>, endpoint: OpenAIEndpoint): string {
  const base = (account.baseUrl ?? openaiDefaultBaseUrl).replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${base}${openaiEndpointPaths[endpoint]}`;
}

export type OpenAIApiAccount = Pick<OpenAIAccount, 'apiKey' | 'authToken' | 'organization' | 'project'>;

/**
 * Request headers: `authorization: Bearer` with the API key (or the token), and
 * `openai-organization` / `openai-project` when the account names them. An account with no key
 * sends no auth header (a gateway may add it).
 */
export function openaiRequestHeaders(account: OpenAIApiAccount, options: { stream?: boolean } = {}): Record<string, string> {
  const headers = jsonRequestHeaders(options.stream);
  const secret = account.apiKey ?? account.authToken;
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
  if (account.organization !== undefined) headers['openai-organization'] = account.organization;
  if (account.project !== undefined) headers['openai-project'] = account.project;
  return headers;
}

/**
 * The body as sent: `stream` set as asked; for a streamed chat request
 * `stream_options.include_usage` forced on (else the stream carries no usage); `stream_options`
 * removed from a non-streamed request (the API refuses it there); `model` filled in when the body
 * has none. An embeddings body gets no `stream` at all (embeddings do not stream).
 */
export function openaiRequestBody(body: JsonObject, options: { endpoint: OpenAIEndpoint; stream: boolean; model: string }): JsonObject {
  const sent: JsonObject = { ...body, stream: options.stream };
  if (typeof sent.model !== 'string' || sent.model === '') sent.model = options.model;
  if (options.endpoint === 'embeddings') {
    delete sent.stream;
    delete sent.stream_options;
    return sent;
  }
  if (!options.stream) {
    delete sent.stream_options;
  } else if (options.endpoint === 'chat') {
    const given = sent.stream_options;
    const streamOptions = typeof given === 'object' && given !== null && !Array.isArray(given) ? given : {};
    sent.stream_options = { ...streamOptions, include_usage: true };
  }
  return sent;
}

/** Headers worth keeping: request ids, retry hints and every x-ratelimit-*. */
const keptHeaders: ReadonlySet<string> = new Set([
  'x-request-id',
  'apim-request-id',
  'retry-after',
  'retry-after-ms',
  'x-ms-retry-after-ms',
]);

export function pickOpenAIHeaders(headers: IncomingHttpHeaders | Record<string, string>): Record<string, string> {
  return pickHeaders(headers, (name) => keptHeaders.has(name) || name.startsWith('x-ratelimit-'));
}
