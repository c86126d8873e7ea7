import type { Runtime } from '../../runtime.ts';
import { startWorker } from '../../worker/start-worker.ts';
import { jobTypes } from '../job-types.ts';

/**
 * Runs a worker until SIGINT/SIGTERM. The first signal lets in-flight prompts finish; a second
 * one stops at once (those prompts go back to the queue when their lock expires).
 */
export async function workerCommand(runtime: Runtime): Promise<void> {
  const running = await startWorker(runtime.config, runtime.redisUrl, runtime.logger, jobTypes());
  runtime.logger.info(
    { concurrency: runtime.config.worker.concurrency, accounts: runtime.config.accounts.map((account) => account.id) },
    'worker started',
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        runtime.logger.warn({ signal }, 'second signal: stopping now');
        void running.close(true).then(resolve);
        return;
      }
      stopping = true;
      runtime.logger.info({ signal }, 'finishing in-flight prompts, then stopping (signal again to stop now)');
      void running.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
