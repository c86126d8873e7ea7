/**
 * `relayq server`: the HTTP server (relayq's /api, the OpenAI- and Anthropic-compatible batch
 * APIs), with `--worker` an in-process prompt worker too. Runs until SIGINT/SIGTERM: the first
 * signal stops accepting connections, lets in-flight requests (and with `--worker` in-flight
 * prompts) finish, closes Redis and exits 0; a second one stops at once.
 */
import type { Runtime } from '../../runtime.ts';
import { startServer } from '../../server/start-server.ts';
import { exitCodes } from '../exit-codes.ts';
import { jobTypes } from '../job-types.ts';

export interface ServerCommandOptions {
  port?: number;
  host?: string;
  worker: boolean;
}

export async function serverCommand(runtime: Runtime, options: ServerCommandOptions): Promise<number> {
  const running = await startServer({
    config: runtime.config,
    redisUrl: runtime.redisUrl,
    logger: runtime.logger,
    worker: options.worker ? jobTypes() : undefined,
    host: options.host,
    port: options.port,
  });
  runtime.logger.info({ url: running.url, publicUrl: running.ctx.publicUrl, worker: options.worker }, 'server listening');
  process.stderr.write(`relayq server listening on ${running.url}${options.worker ? ' (with a worker)' : ''}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        runtime.logger.warn({ signal }, 'second signal: stopping now');
        void running.worker?.close(true);
        resolve(exitCodes.failure);
        return;
      }
      stopping = true;
      runtime.logger.info({ signal }, 'stopping: finishing in-flight requests (signal again to stop now)');
      running.close().then(
        () => resolve(exitCodes.ok),
        (error: unknown) => {
          runtime.logger.error({ err: error }, 'server did not close cleanly');
          resolve(exitCodes.failure);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
