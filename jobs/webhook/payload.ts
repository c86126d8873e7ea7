/** What a webhook job carries: an event to fan out, or one delivery of it (defined in src/). */
export { webhookJobSchema, type DeliveryJob, type WebhookJob } from '../../src/webhooks/webhook-job.ts';
