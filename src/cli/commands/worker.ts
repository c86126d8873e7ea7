import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { createSystemMetrics } from '../../metrics/exposition.ts';
import { startMetricsServer, type RunningMetricsServer } from '../../metrics/metrics-server.ts';
import type { Runtime } from '../../runtime.ts';
import { loadPrices } from '../../usage/prices.ts';
import { webhookQueueName } from '../../webhooks/webhook-job.ts';
import { startWorker, type RunningWorker } from '../../worker/start-worker.ts';
import { jobTypes } from '../job-types.ts';

export interface WorkerCommandOptions {
  /** Serve `GET /metrics` on this port (0: any free one). */
  metricsPort?: number;
  metricsHost: string;
}

/**
 * Runs a worker until SIGINT/SIGTERM. The first signal lets in-flight prompts finish; a second
 * one stops at once (those prompts go back to the queue when their lock expires).
 */
export async function workerCommand(runtime: Runtime, options: WorkerCommandOptions = { metricsHost: '127.0.0.1' }): Promise<void> {
  const running = await startWorker(runtime.config, runtime.redisUrl, runtime.logger, jobTypes());
  const metrics = options.metricsPort === undefined ? null : await serveMetrics(runtime, running, options.metricsPort, options.metricsHost);
  runtime.logger.info(
    {
      concurrency: runtime.config.worker.concurrency,
      accounts: runtime.config.accounts.map((account) => account.id),
      metrics: metrics?.url ?? null,
    },
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
  await metrics?.close();
}

/** `--metrics-port`: the whole system's metrics (read from Redis) and this process's latency histogram. */
async function serveMetrics(runtime: Runtime, running: RunningWorker, port: number, host: string): Promise<RunningMetricsServer> {
  const webhookQueue = new Queue(webhookQueueName, { connection: runtime.redis, prefix: runtime.keys.bullPrefix });
  const system = createSystemMetrics({
    redis: runtime.redis,
    keys: runtime.keys,
    config: runtime.config,
    queues: [
      { name: runtime.queue.name, queue: runtime.queue },
      { name: webhookQueueName, queue: webhookQueue },
    ],
    prices: await loadPrices(),
  });
  const server = await startMetricsServer({
    host,
    port,
    registry: Registry.merge([system, running.meter.registry]),
    token: runtime.config.server.metrics.token,
    onError: (error) => runtime.logger.warn({ err: error }, 'reading metrics from Redis failed'),
  });
  process.stderr.write(`relayq worker: metrics at ${server.url}/metrics\n`);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await webhookQueue.close();
    },
  };
}
