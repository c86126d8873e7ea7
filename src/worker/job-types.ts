/**
 * What the worker runs, handed to it from above: the job types of `jobs/` (each queue's
 * processor). `src/` never imports `jobs/`; the entry points (`cli.ts`, `index.ts` at the
 * package root) pass `jobs/index.ts`'s list to `startWorker`.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PromptJob } from '../batches/prompt-job.ts';
import type { Config } from '../config/schema.ts';
import type { WebhookJob } from '../webhooks/webhook-job.ts';
import type { Dispatcher } from 'undici';
import type { UpstreamMeter } from '../metrics/upstream-meter.ts';
import type { Keys } from '../redis/keys.ts';
import type { Executors } from '../providers/index.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';

/** The worker's parts a processor works with. */
export interface WorkerParts {
  redis: Redis;
  keys: Keys;
  executors: Executors;
  scheduler: Scheduler;
  logger: Logger;
  /** Called when a job of this worker ended a batch (its webhook event goes out at once). */
  onBatchEnded?: () => void;
  /** Counts each upstream call and its duration (for `/metrics`). */
  meter?: UpstreamMeter;
}

/** What the webhook processor works with. */
export interface WebhookWorkerParts {
  redis: Redis;
  keys: Keys;
  config: Config;
  queue: Queue<WebhookJob>;
  dispatcher: Dispatcher;
  logger: Logger;
}

/** A BullMQ processor of one queue's jobs. */
export type JobProcessor<Data> = (job: Job<Data>) => Promise<unknown>;

/** The job types a worker runs, by queue. */
export interface JobTypes {
  /** Prompt jobs (queue "prompt"): built once per worker, loaded only when a worker starts. */
  prompt: { createProcessor(parts: WorkerParts): Promise<JobProcessor<PromptJob>> };
  /** Webhook jobs (queue "webhook"): batch events fanned out into signed deliveries. */
  webhook: { createProcessor(parts: WebhookWorkerParts): Promise<JobProcessor<WebhookJob>> };
}
