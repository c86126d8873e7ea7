/**
 * Where and how to call Azure OpenAI for one account. The bodies and answers are OpenAI's (the
 * mappers in providers/openai read them); what differs is the address and the auth:
 *
 * - Chat Completions: `{baseUrl}/openai/deployments/{deployment}/chat/completions?api-version=V`,
 *   the deployment (not `model`) choosing the model.
 * - Embeddings: `{baseUrl}/openai/deployments/{deployment}/embeddings?api-version=V`.
 * - Responses: `{baseUrl}/openai/responses?api-version=V` with the deployment as `model` (Azure
 *   serves the Responses API on no deployment path), from api-version 2025-03-01-preview.
 * - apiVersion `v1`: the OpenAI-compatible `{baseUrl}/openai/v1/chat/completions`,
 *   `/openai/v1/responses` and `/openai/v1/embeddings`, no api-version, the deployment as `model`.
 *
 * Auth: `api-key: KEY`, or `authorization: Bearer TOKEN` with a Microsoft Entra ID token.
 */
import type { AzureOpenAIAccount } from './account.ts';
import { ProviderError } from '../../executors/errors.ts';
import type { ExecuteRequest, JsonObject } from '../../executors/types.ts';
import { openaiRequestBody, type OpenAIEndpoint } from '../openai/api.ts';
import { jsonRequestHeaders } from '../shared/headers.ts';

/** The GA api-version used for Chat Completions when the account names none. */
export const azureDefaultApiVersion = '2024-10-21';
/** The first api-version family with the Responses API, used for it when the account names none. */
export const azureResponsesDefaultApiVersion = '2025-04-01-preview';

export type AzureApiAccount = Pick<AzureOpenAIAccount, 'id' | 'baseUrl' | 'apiVersion' | 'deployments'>;

/** The deployment serving a model: `account.deployments[model]`, else the model's own name. */
export function azureDeploymentFor(account: Pick<AzureOpenAIAccount, 'deployments'>, model: string): string {
  return account.deployments?.[model] ?? model;
}

/** True when the account uses the OpenAI-compatible `/openai/v1/` routes. */
export function usesAzureV1(account: Pick<AzureOpenAIAccount, 'apiVersion'>): boolean {
  return account.apiVersion === 'v1';
}

/** The api-version sent for an endpoint; undefined on the v1 routes. */
export function azureApiVersionFor(account: Pick<AzureOpenAIAccount, 'apiVersion'>, endpoint: OpenAIEndpoint): string | undefined {
  if (usesAzureV1(account)) return undefined;
  return account.apiVersion ?? (endpoint === 'responses' ? azureResponsesDefaultApiVersion : azureDefaultApiVersion);
}

/**
 * The resource endpoint without trailing slashes, and without a trailing `/openai` or
 * `/openai/v1` people copy from the portal. An account without baseUrl cannot be called: Azure
 * has no public default endpoint.
 */
export function azureBaseUrl(account: AzureApiAccount): string {
  if (account.baseUrl === undefined) {
    throw new ProviderError({
      kind: 'invalid_request',
      provider: 'azure-openai',
      retryable: false,
      message:
        `azure-openai account "${account.id}" has no baseUrl: set it to the resource endpoint, ` +
        'e.g. https://my-resource.openai.azure.com',
    });
  }
  return account.baseUrl.replace(/\/+$/, '').replace(/\/openai(\/v1)?$/, '');
}

export function azureOpenAIUrl(account: AzureApiAccount, endpoint: OpenAIEndpoint, model: string): string {
  const base = azureBaseUrl(account);
  const path = endpoint === 'chat' ? 'chat/completions' : endpoint;
  if (usesAzureV1(account)) return `${base}/openai/v1/${path}`;
  const version = encodeURIComponent(azureApiVersionFor(account, endpoint) ?? azureDefaultApiVersion);
  if (endpoint === 'responses') return `${base}/openai/responses?api-version=${version}`;
  const deployment = encodeURIComponent(azureDeploymentFor(account, model));
  return `${base}/openai/deployments/${deployment}/${path}?api-version=${version}`;
}

/** `api-key` for an API key, `authorization: Bearer` for an Entra ID token. */
export function azureRequestHeaders(
  account: Pick<AzureOpenAIAccount, 'apiKey' | 'authToken'>,
  options: { stream?: boolean } = {},
): Record<string, string> {
  const headers = jsonRequestHeaders(options.stream);
  if (account.apiKey !== undefined) headers['api-key'] = account.apiKey;
  else if (account.authToken !== undefined) headers.authorization = `Bearer ${account.authToken}`;
  return headers;
}

/**
 * The body as sent: OpenAI's rules (stream, stream_options), and where the route has no
 * deployment in it (v1, Responses), the deployment as `model`.
 */
export function azureRequestBody(
  request: Pick<ExecuteRequest, 'body' | 'model'>,
  account: Pick<AzureOpenAIAccount, 'apiVersion' | 'deployments'>,
  options: { endpoint: OpenAIEndpoint; stream: boolean },
): JsonObject {
  const body = openaiRequestBody(request.body, { ...options, model: request.model });
  if (usesAzureV1(account) || options.endpoint === 'responses') {
    body.model = azureDeploymentFor(account, request.model);
  }
  return body;
}

/** What to check when Azure answers 404 (it says only "Resource not found"). */
export function azureNotFoundHint(account: AzureApiAccount, endpoint: OpenAIEndpoint, model: string): string {
  const version = azureApiVersionFor(account, endpoint);
  return (
    `check baseUrl (the resource endpoint), that deployment "${azureDeploymentFor(account, model)}" exists` +
    (version === undefined ? '' : `, and that api-version ${version} serves this API`)
  );
}
