/** The prompt queue: its name, job options and job ids (defined in src/, where submit and the sweeps need them too). */
export { promptBackoffType, promptJobId, promptJobOptions, promptQueueName } from '../../src/batches/prompt-job.ts';
