import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AccountPool } from '../../src/accounts/pool.ts';
import { hasResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { collectStream } from '../../src/executors/collect-stream.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecutorRegistry } from '../../src/executors/registry.ts';
import type { ExecuteResult } from '../../src/executors/types.ts';
import { prepareRequest, presentResult } from '../../src/translate/prepare.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { promptJobSchema, type PromptJob } from './payload.ts';

export interface PromptProcessorDeps {
  redis: Redis;
  keys: Keys;
  executors: ExecutorRegistry;
  accounts: AccountPool;
  logger: Logger;
}

/**
 * Runs one prompt: choose an account, call the provider, store the one result. A retryable
 * failure is thrown back to BullMQ (which retries it after the backoff) until the last attempt;
 * then, and for errors no retry can fix, the error itself becomes the prompt's result.
 */
export function createPromptProcessor(deps: PromptProcessorDeps) {
  const { redis, keys, executors, accounts, logger } = deps;

  // Two parameters on purpose: BullMQ gives a processor that declares a third one an
  // AbortSignal per job, a cost on every prompt that buys nothing until jobs can be cancelled.
  return async function processPrompt(job: Job<PromptJob>): Promise<void> {
    const payload = promptJobSchema.parse(job.data);
    const { batchId, customId } = payload;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // A job that ran before (a retry, or a worker that died) may already have its result.
    if ((job.attemptsMade > 0 || job.stalledCounter > 0) && (await hasResult(redis, keys, batchId, customId))) return;

    const account = accounts.pick(payload.provider, payload.model);
    const base: Omit<ResultRecord, 'status' | 'usage' | 'latency_ms'> = {
      custom_id: customId,
      provider: payload.provider,
      account: account?.id ?? null,
      model: payload.model,
      attempts: attempt,
      line: payload.line,
    };
    const logFields = { jobId: job.id, batchId, accountId: account?.id };
    const started = performance.now();
    try {
      if (!account) {
        throw new ProviderError({
          kind: 'invalid_request',
          provider: payload.provider,
          message: `no enabled account serves provider "${payload.provider}" and model "${payload.model}"; add one to the config`,
        });
      }
      const executor = executors.get(payload.provider);
      const { request, warnings } = prepareRequest(payload);
      if (warnings.length > 0) base.warnings = warnings;
      const options = { requestId: job.id };
      const result: ExecuteResult = payload.stream
        ? await collectStream(executor.executeStream(request, options, account))
        : await executor.execute(request, options, account);
      await store(batchId, {
        ...base,
        status: 'succeeded',
        response: { status_code: result.statusCode, body: presentResult(payload, result) },
        usage: {
          input_tokens: result.usage.inputTokens,
          output_tokens: result.usage.outputTokens,
          cache_read_tokens: result.usage.cacheRead,
          cache_write_tokens: result.usage.cacheWrite,
        },
        latency_ms: Math.round(performance.now() - started),
      });
    } catch (caught) {
      const error = caught instanceof ProviderError ? caught : null;
      const retryable = error ? error.retryable : true;
      if (retryable && attempt < maxAttempts) {
        logger.debug({ ...logFields, err: caught, attempt }, 'attempt failed; retrying after backoff');
        throw caught;
      }
      logger.warn({ ...logFields, err: caught, attempt }, 'prompt failed');
      await store(batchId, {
        ...base,
        status: 'errored',
        error: error
          ? error.toJSON()
          : { kind: 'internal', message: (caught as Error)?.message ?? String(caught), status_code: null },
        usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
        latency_ms: Math.round(performance.now() - started),
      });
    }
  };

  async function store(batchId: string, record: ResultRecord): Promise<void> {
    const outcome = await writeResult(redis, keys, batchId, record);
    if (outcome === 'completed-batch') logger.info({ batchId }, 'batch completed');
  }
}
