/** The submit options every face's submit shares (CLI, `/api`, the OpenAI and Anthropic routes, the dashboard's retry): from the config. */
import type { Config } from '../config/schema.ts';
import type { SubmitOptions } from './submit.ts';

export function configSubmitOptions({
  config,
}: {
  config: Config;
}): Pick<SubmitOptions, 'attempts' | 'routing' | 'limits' | 'webhookPolicy'> {
  return {
    attempts: config.worker.attempts,
    routing: config.routing,
    limits: config.ingest,
    webhookPolicy: config.webhooks,
  };
}
