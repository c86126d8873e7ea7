import type { PromptJob } from '../../jobs/prompt/payload.ts';
import type { ExecuteRequest, ExecuteResult, JsonObject } from '../executors/types.ts';

export interface PreparedRequest {
  request: ExecuteRequest;
  /** Settings the target provider cannot honour; they go on the result, never silently dropped. */
  warnings: string[];
}

/**
 * The request an executor gets for a job. A native body goes to its provider untouched; an
 * OpenAI Chat Completions body is translated to the target provider's format.
 */
export function prepareRequest(job: PromptJob): PreparedRequest {
  const request: ExecuteRequest = { provider: job.provider, model: job.model, body: job.body };
  if (job.endpoint !== undefined) request.endpoint = job.endpoint;
  if (job.format === 'native' || job.provider === 'openai' || job.provider === 'azure-openai') {
    return { request, warnings: [] };
  }
  throw new Error(`translating OpenAI chat requests to ${job.provider} is not available`);
}

/** The response body stored for a job: the provider's own, or for an OpenAI-format job, a chat.completion. */
export function presentResult(job: PromptJob, result: ExecuteResult): JsonObject {
  void job;
  return result.body;
}
