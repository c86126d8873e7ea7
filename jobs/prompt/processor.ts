import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDispatchGate, recordAttemptError } from '../../src/batches/dispatch-gate.ts';
import { hasResult, skippedResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { collectStream } from '../../src/executors/collect-stream.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecutorRegistry } from '../../src/executors/registry.ts';
import type { ExecuteResult } from '../../src/executors/types.ts';
import { prepareRequest, presentResult } from '../../src/translate/prepare.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { NoCandidateError, type PromptToSchedule, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { promptJobSchema, type PromptJob } from './payload.ts';

export interface PromptProcessorDeps {
  redis: Redis;
  keys: Keys;
  executors: ExecutorRegistry;
  scheduler: Scheduler;
  logger: Logger;
}

/**
 * A prompt goes back to scheduling without an attempt when its account, not the prompt, failed
 * (429, 401/403); after this many times in one run it counts as an ordinary retryable failure.
 */
const maxReschedules = 20;
/** Delay of a retry after a 529 when another account has room. */
const retrySoonMs = 50;

/**
 * Runs one prompt: get capacity on an account (the scheduler), call the provider, store the one
 * result. A retryable failure is thrown back to BullMQ (which retries it after the backoff) until
 * the last attempt; then, and for errors no retry can fix, the error itself becomes the prompt's
 * result. Waiting for capacity costs no attempt: the prompt waits in line, or is parked
 * (a BullMQ DelayedError) and comes back when its accounts have room.
 */
export function createPromptProcessor(deps: PromptProcessorDeps) {
  const { redis, keys, executors, scheduler, logger } = deps;
  // Batch state (cancelled, paused, expired), cached for about a second: no round trip per prompt.
  const gate = createDispatchGate(redis, keys);
  /** How long a prompt of a paused batch waits before it looks again. */
  const pausedRecheckMs = 1_000;

  // The processor takes no third parameter on purpose: BullMQ then builds no AbortController per
  // job, and undici attaches no abort listener per request (together a sizeable share of a
  // prompt's CPU). relayq never cancels a running BullMQ job: a cancelled batch stops its
  // prompts before they are sent (the dispatch gate), and in-flight calls finish and are counted.
  return async function processPrompt(job: Job<PromptJob>, token?: string): Promise<void> {
    const payload = promptJobSchema.parse(job.data);
    const { batchId, customId } = payload;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // A job that ran before (a retry, or a worker that died) may already have its result.
    if ((job.attemptsMade > 0 || job.stalledCounter > 0) && (await hasResult(redis, keys, batchId, customId))) return;
    const decision = await gate.check(batchId);
    if (decision === 'cancelled' || decision === 'expired') {
      await store(batchId, skippedResult(customId, decision, payload.line, { provider: payload.provider, model: payload.model, attempts: job.attemptsMade }));
      return;
    }
    if (decision === 'paused') {
      if (token === undefined) throw new Error('a prompt of a paused batch can only be delayed by the worker holding its lock');
      await job.moveToDelayed(Date.now() + pausedRecheckMs, token);
      throw new DelayedError();
    }

    const base: Omit<ResultRecord, 'status' | 'usage' | 'latency_ms'> = {
      custom_id: customId,
      provider: payload.provider,
      account: null,
      model: payload.model,
      attempts: attempt,
      line: payload.line,
    };
    const logFields = { jobId: job.id, batchId, accountId: null as string | null };
    // latency_ms is the upstream call's (the last one's), not the time spent waiting for capacity.
    let started = performance.now();
    try {
      const executor = executors.get(payload.provider);
      const { request, warnings } = prepareRequest(payload);
      if (warnings.length > 0) base.warnings = warnings;
      const options = { requestId: job.id };
      const prompt: PromptToSchedule = {
        jobId: job.id ?? customId,
        batchId,
        provider: payload.provider,
        model: payload.model,
        body: request.body,
        priority: job.opts.priority ?? 0,
        delay: async (until) => {
          if (token === undefined) throw new Error('a prompt can only be parked by the worker holding its lock');
          await job.moveToDelayed(until, token);
        },
      };
      for (let reschedules = 0; ; reschedules += 1) {
        // Accounts without limits answer at once, with no round trip.
        const grant = scheduler.acquireNow(prompt) ?? (await scheduler.acquire(prompt));
        base.account = grant.account.id;
        logFields.accountId = grant.account.id;
        started = performance.now();
        let result: ExecuteResult;
        try {
          result = payload.stream
            ? await collectStream(executor.executeStream(request, options, grant.account), payload.provider)
            : await executor.execute(request, options, grant.account);
        } catch (caught) {
          const error = caught instanceof ProviderError ? caught : null;
          const reaction = await scheduler.settle(grant, { ok: false, error });
          if (reaction === 'reschedule' && reschedules < maxReschedules) {
            logger.debug({ ...logFields, err: caught }, 'account refused the call; scheduling the prompt again');
            continue;
          }
          if (reaction === 'retry-soon' && error !== null && attempt < maxAttempts && scheduler.hasOtherReadyAccount(grant)) {
            throw withRetryAfter(error, retrySoonMs);
          }
          throw caught;
        }
        const settling = scheduler.settleSuccess(grant, result, payload.stream);
        await Promise.all([
          settling,
          store(batchId, {
            ...base,
            status: 'succeeded',
            response: withRequestId({ status_code: result.statusCode, body: presentResult(payload, result) }, result.headers),
            usage: {
              input_tokens: result.usage.inputTokens,
              output_tokens: result.usage.outputTokens,
              cache_read_tokens: result.usage.cacheRead,
              cache_write_tokens: result.usage.cacheWrite,
            },
            latency_ms: Math.round(performance.now() - started),
          }),
        ]);
        return;
      }
    } catch (caught) {
      // Parked until capacity returns: BullMQ leaves the job where parking put it.
      if (caught instanceof DelayedError) throw caught;
      const error =
        caught instanceof ProviderError
          ? caught
          : caught instanceof NoCandidateError
            ? new ProviderError({ kind: 'invalid_request', provider: payload.provider, message: caught.message })
            : null;
      const retryable = error ? error.retryable : true;
      if (retryable && attempt < maxAttempts) {
        logger.debug({ ...logFields, err: caught, attempt }, 'attempt failed; retrying after backoff');
        await recordAttemptError(redis, keys, batchId, error?.kind ?? 'internal');
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

/** The provider's request id (Anthropic `request-id`, OpenAI `x-request-id`, Bedrock `x-amzn-requestid`), kept for exports. */
function withRequestId(
  response: { status_code: number; body: unknown },
  headers: Record<string, string>,
): { status_code: number; body: unknown; request_id?: string } {
  const id = headers['request-id'] ?? headers['x-request-id'] ?? headers['x-amzn-requestid'];
  return id === undefined ? response : { ...response, request_id: id };
}

/** The same error, asking BullMQ's backoff (src/worker/backoff.ts) to retry after `ms`. */
function withRetryAfter(error: ProviderError, ms: number): ProviderError {
  return new ProviderError({
    kind: error.kind,
    provider: error.provider,
    message: error.message,
    retryAfterMs: ms,
    retryable: error.retryable,
    rawBody: error.rawBody,
    headers: error.headers,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
  });
}
