/** The webhook queue: its name and job ids (defined in src/, where the outbox and the CLI need them too). */
export { deliveryJobId, targetOf, webhookQueueName } from '../../src/webhooks/webhook-job.ts';
