/** Job options and the retry schedule of webhook jobs (defined in src/). */
export {
  deliveryAttempts,
  deliveryJobOptions,
  DeliveryRetry,
  eventJobOptions,
  retryDelayMs,
  retryScheduleMs,
  webhookBackoff,
  webhookBackoffType,
} from '../../src/webhooks/webhook-job.ts';
