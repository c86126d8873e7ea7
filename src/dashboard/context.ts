/** What the dashboard works with: what `relayq server` gives every route (its DashboardContext has all of it). */
import type { PromptQueues } from '../batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { Keys } from '../redis/keys.ts';

export interface DashboardContext {
  config: Config;
  redis: Redis;
  keys: Keys;
  promptQueue: PromptQueues;
  logger: Logger;
  /** The absolute origin people reach the server at (https here makes the cookies Secure). */
  publicUrl: string;
}
