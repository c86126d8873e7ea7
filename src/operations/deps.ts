/**
 * What the operations every face shares (the command line, `/api`, the OpenAI and Anthropic
 * routes) work with. The CLI's runtime and the server's context both provide it.
 */
import type { PromptQueues } from '../batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';

export interface OperationDeps {
  config: Config;
  redis: Redis;
  keys: Keys;
  /** The prompt queues. */
  queue: PromptQueues;
}
