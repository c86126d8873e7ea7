import type { PromptJob } from '../batches/prompt-job.ts';
import { ProviderError } from '../executors/errors.ts';
import type { ExecuteRequest, ExecuteResult, JsonObject } from '../executors/types.ts';
import { toChatCompletion } from './openai-chat/from-result.ts';
import { speaksOpenAiChat, translateOpenAiChat } from './openai-chat/translate.ts';
import { TranslationError } from './translation.ts';

export interface PreparedRequest {
  request: ExecuteRequest;
  /** Settings the target provider cannot honour; they go on the result, never silently dropped. */
  warnings: string[];
}

/**
 * The request an executor gets for a job. A native body goes to its provider untouched; an
 * OpenAI Chat Completions body is translated to the target provider's format. A body with no
 * faithful translation throws an `invalid_request` ProviderError, which no retry can fix.
 */
export function prepareRequest(job: PromptJob): PreparedRequest {
  const request: ExecuteRequest = { provider: job.provider, model: job.model, body: job.body };
  if (job.endpoint !== undefined) request.endpoint = job.endpoint;
  if (!translates(job)) return { request, warnings: [] };
  try {
    const { body, warnings } = translateOpenAiChat(job.body, job.provider, job.model);
    request.body = body;
    return { request, warnings };
  } catch (error) {
    if (!(error instanceof TranslationError)) throw error;
    throw new ProviderError({
      kind: 'invalid_request',
      provider: job.provider,
      message: `cannot translate the OpenAI Chat Completions request to ${job.provider}: ${error.message}`,
    });
  }
}

/**
 * The response body stored for a job: the provider's own, or for an OpenAI-format job served
 * by another provider, a `chat.completion` (the provider's own body is not kept then; the
 * result record's usage, provider and model say the rest).
 */
export function presentResult(job: PromptJob, result: ExecuteResult): JsonObject {
  if (!translates(job)) return result.body;
  return toChatCompletion(result, { provider: job.provider, model: job.model }) as unknown as JsonObject;
}

function translates(job: PromptJob): boolean {
  return job.format === 'openai-chat' && !speaksOpenAiChat(job.provider);
}
