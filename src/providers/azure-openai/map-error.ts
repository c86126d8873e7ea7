/**
 * Azure OpenAI errors come in OpenAI's `{error: {message, type, param, code}}` shape with Azure's
 * own codes: the status repeated as a string (`"429"`), `content_filter` on a 400 (with
 * `innererror.code: "ResponsibleAIPolicyViolation"`), `DeploymentNotFound`; 429s carry
 * `retry-after-ms` / `x-ms-retry-after-ms` next to `retry-after`. The OpenAI mapper reads all of
 * that; these entry points only name the provider.
 */
import type { ProviderError } from '../../executors/errors.ts';
import { mapOpenAIHttpError, mapOpenAIStreamError, type OpenAIHttpErrorInput } from '../openai/map-error.ts';
import type { OpenAIErrorObject } from '../openai/schemas.ts';

export function mapAzureOpenAIHttpError(input: Omit<OpenAIHttpErrorInput, 'provider'>): ProviderError {
  return mapOpenAIHttpError({ ...input, provider: 'azure-openai' });
}

export function mapAzureOpenAIStreamError(
  error: OpenAIErrorObject,
  options: { statusCode?: number; accountId?: string; rawBody?: unknown } = {},
): ProviderError {
  return mapOpenAIStreamError(error, { ...options, provider: 'azure-openai' });
}
