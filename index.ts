/**
 * The package's programmatic API (`import { ... } from 'relayq'`; see src/api.ts and the
 * README): src/api.ts, with `startWorker` running the job types of jobs/ — the one place, with
 * cli.ts, that sees both.
 */
import { jobTypes } from './jobs/index.ts';
import { startWorkerWith, type RelayqWorker, type StartWorkerOptions } from './src/api.ts';
import type { Config } from './src/config/schema.ts';

export * from './src/api.ts';

/**
 * Starts a worker in this process: it takes prompts of every batch on the config's Redis and
 * prefix and sends them through the config's accounts, within their rate limits, until closed.
 */
export function startWorker(config: Config, options: StartWorkerOptions = {}): Promise<RelayqWorker> {
  return startWorkerWith(jobTypes, config, options);
}
