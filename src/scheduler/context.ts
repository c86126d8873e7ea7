/** What a pool runner needs from the scheduler that owns it. */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { AccountCache } from './account-cache.ts';
import type { Admission } from './admission.ts';
import type { PoolRunner, ScheduledPrompt } from './pool-runner.ts';

export interface SchedulerContext {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly cache: AccountCache;
  /** True once the worker is stopping: prompts park instead of waiting. */
  closing(): boolean;
  /** How many prompts may wait in this pool's line in this worker now. */
  lineLimit(pool: PoolRunner): number;
  /** Keeps the count of prompts waiting in all lines of this worker. */
  waitersChanged(delta: number): void;
  /** Tries to take capacity for one call of `prompt` on one of the pool's accounts. */
  admit(pool: PoolRunner, prompt: ScheduledPrompt): Promise<Admission>;
  /** The same, decided from the cached account state alone; null when admission needs Redis (some account has limits). */
  admitNow(pool: PoolRunner): Admission | null;
  /** Moves parked jobs back into the queue; true for each one that was. */
  promote(jobIds: readonly string[]): Promise<boolean[]>;
  promoteFailed(error: unknown): void;
}
