/** What one prompt job carries through the queue (defined in src/, where the batch code needs it too). */
export { promptJobSchema, type PromptJob } from '../../src/batches/prompt-job.ts';
