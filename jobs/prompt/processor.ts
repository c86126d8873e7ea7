import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDispatchGate, recordAttemptError } from '../../src/batches/dispatch-gate.ts';
import { hasResult, skippedResult, writeResult, type ResultRecord } from '../../src/batches/results.ts';
import { collectStream } from '../../src/executors/collect-stream.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecuteRequest, ExecuteResult, JsonObject } from '../../src/executors/types.ts';
import { providerModule, type Executors } from '../../src/providers/index.ts';
import { prepareRequest, presentResult } from '../../src/translate/prepare.ts';
import { failedCall, type UpstreamMeter } from '../../src/metrics/upstream-meter.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { NoCandidateError, type PromptToSchedule, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { promptJobSchema, type PromptJob } from './payload.ts';

export interface PromptProcessorDeps {
  redis: Redis;
  keys: Keys;
  executors: Executors;
  scheduler: Scheduler;
  logger: Logger;
  onBatchEnded?: () => void;
  /** Counts each upstream call and its duration (for `/metrics`); none in tests that do not look. */
  meter?: UpstreamMeter;
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
  const { redis, keys, executors, scheduler, logger, onBatchEnded, meter } = deps;
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
    const decision = gate.cached(batchId) ?? (await gate.check(batchId));
    if (decision === 'cancelled' || decision === 'expired') {
      await store(
        batchId,
        skippedResult(customId, decision, payload.line, { provider: payload.provider, model: payload.model, attempts: job.attemptsMade }),
      );
      return;
    }
    if (decision === 'paused') {
      if (token === undefined) throw new Error('a prompt of a paused batch can only be delayed by the worker holding its lock');
      await job.moveToDelayed(Date.now() + pausedRecheckMs, token);
      throw new DelayedError();
    }

    let account: string | null = null;
    let warnings: string[] = [];
    // latency_ms is the upstream call's (the last one's), not the time spent waiting for capacity.
    let started = performance.now();
    try {
      const executor = executors.get(payload.provider);
      const provider = providerModule(payload.provider);
      const prepared = prepareRequest(payload);
      const { request } = prepared;
      warnings = prepared.warnings;
      const options = { requestId: job.id };
      const prompt = new QueuedPrompt(job, token, payload, request);
      for (let reschedules = 0; ; reschedules += 1) {
        // Accounts without limits answer at once, with no round trip.
        const grant = scheduler.acquireNow(prompt) ?? (await scheduler.acquire(prompt));
        account = grant.account.id;
        started = performance.now();
        let result: ExecuteResult;
        try {
          result = payload.stream
            ? await collectStream(executor.executeStream(request, options, grant.account), payload.provider)
            : await executor.execute(request, options, grant.account);
        } catch (caught) {
          meter?.record({ provider: payload.provider, account, ...failedCall(caught), seconds: (performance.now() - started) / 1000 });
          const error = caught instanceof ProviderError ? caught : null;
          const reaction = await scheduler.settle(grant, { ok: false, error });
          if (reaction === 'reschedule' && reschedules < maxReschedules) {
            logger.debug(
              { jobId: job.id, batchId, accountId: account, err: caught },
              'account refused the call; scheduling the prompt again',
            );
            // Costs the prompt no attempt, but the batch shows it among its failed calls (its 429s).
            await recordAttemptError(redis, keys, batchId, error?.kind ?? 'internal');
            continue;
          }
          if (reaction === 'retry-soon' && error !== null && attempt < maxAttempts && scheduler.hasOtherReadyAccount(grant)) {
            throw withRetryAfter(error, retrySoonMs);
          }
          throw caught;
        }
        meter?.record({
          provider: payload.provider,
          account,
          statusCode: result.statusCode,
          outcome: 'ok',
          seconds: (performance.now() - started) / 1000,
        });
        const { usage } = result;
        const requestId = firstHeader(result.headers, provider.requestIdHeaders);
        // Read from the provider's own body: a translated job stores a chat.completion instead.
        const reasoningTokens = provider.usage.reasoningTokens(result.body);
        const record: ResultRecord = {
          custom_id: customId,
          status: 'succeeded',
          provider: payload.provider,
          account,
          model: payload.model,
          // The provider's request id is kept for exports.
          response:
            requestId === undefined
              ? { status_code: result.statusCode, body: presentResult(payload, result) }
              : { status_code: result.statusCode, body: presentResult(payload, result), request_id: requestId },
          usage: {
            input_tokens: usage.inputTokens,
            output_tokens: usage.outputTokens,
            cache_read_tokens: usage.cacheRead,
            cache_write_tokens: usage.cacheWrite,
            ...(reasoningTokens > 0 ? { reasoning_tokens: reasoningTokens } : {}),
          },
          attempts: attempt,
          latency_ms: Math.round(performance.now() - started),
          line: payload.line,
        };
        if (warnings.length > 0) record.warnings = warnings;
        // Accounts without limits whose answer announced none have nothing to settle.
        const settling = scheduler.settleSuccess(grant, result, payload.stream);
        if (settling === undefined) await store(batchId, record);
        else await Promise.all([settling, store(batchId, record)]);
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
      const logFields = { jobId: job.id, batchId, accountId: account, err: caught, attempt };
      if (retryable && attempt < maxAttempts) {
        logger.debug(logFields, 'attempt failed; retrying after backoff');
        await recordAttemptError(redis, keys, batchId, error?.kind ?? 'internal');
        throw caught;
      }
      logger.warn(logFields, 'prompt failed');
      const record: ResultRecord = {
        custom_id: customId,
        status: 'errored',
        provider: payload.provider,
        account,
        model: payload.model,
        error: error ? error.toJSON() : { kind: 'internal', message: (caught as Error)?.message ?? String(caught), status_code: null },
        usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
        attempts: attempt,
        latency_ms: Math.round(performance.now() - started),
        line: payload.line,
      };
      if (warnings.length > 0) record.warnings = warnings;
      await store(batchId, record);
    }
  };

  async function store(batchId: string, record: ResultRecord): Promise<void> {
    const outcome = await writeResult(redis, keys, batchId, record);
    if (outcome === 'completed-batch') {
      logger.info({ batchId }, 'batch completed');
      onBatchEnded?.();
    }
  }
}

/** A prompt job as the scheduler sees it; parking moves the BullMQ job to the delayed set. */
class QueuedPrompt implements PromptToSchedule {
  readonly jobId: string;
  readonly batchId: string;
  readonly provider: PromptJob['provider'];
  readonly model: string;
  readonly priority: number;
  readonly body: JsonObject;
  readonly endpoint: string | undefined;

  constructor(
    private readonly job: Job<PromptJob>,
    private readonly token: string | undefined,
    payload: PromptJob,
    request: ExecuteRequest,
  ) {
    this.body = request.body;
    this.endpoint = request.endpoint;
    this.jobId = job.id ?? payload.customId;
    this.batchId = payload.batchId;
    this.provider = payload.provider;
    this.model = payload.model;
    this.priority = job.opts.priority ?? 0;
  }

  async delay(until: number): Promise<void> {
    if (this.token === undefined) throw new Error('a prompt can only be parked by the worker holding its lock');
    await this.job.moveToDelayed(until, this.token);
  }
}

/** The first of `names` (the provider's request-id headers, lower-case) the answer carries. */
function firstHeader(headers: Readonly<Record<string, string | undefined>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
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
