/**
 * The job types relayq runs, one folder each (`jobs/<queue>/`: queue name, payload schema,
 * options, processor). Handed to the worker by the entry points; each processor is loaded only
 * when a worker starts, so commands that run none stay light.
 */
import type { JobTypes } from '../src/worker/job-types.ts';

export const jobTypes: JobTypes = {
  prompt: {
    createProcessor: async (parts) => (await import('./prompt/processor.ts')).createPromptProcessor(parts),
  },
  webhook: {
    createProcessor: async (parts) => (await import('./webhook/processor.ts')).createWebhookProcessor(parts),
  },
};
