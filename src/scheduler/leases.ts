/**
 * Concurrency leases this worker holds. Each lease in Redis expires on its own (a crashed
 * worker's slots come back after the lease time to live), so a live worker extends the leases
 * of its calls still running, every third of the time to live.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export class LeaseKeeper {
  /** Lease member ("<account>|<lease id>") of every call still running. */
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private counter = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly ttlMs: number,
    private readonly workerId: string,
  ) {}

  /** A lease id unique across workers, and its time to live, for one admission through Redis. */
  newLease(): { id: string; ttlMs: number } {
    return { id: `${this.workerId}:${((this.counter += 1)).toString(36)}`, ttlMs: this.ttlMs };
  }

  hold(accountId: string, leaseId: string): void {
    this.held.add(`${accountId}|${leaseId}`);
  }

  release(accountId: string, leaseId: string): void {
    this.held.delete(`${accountId}|${leaseId}`);
  }

  get count(): number {
    return this.held.size;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(
      () => {
        this.renew().catch(() => {
          // Redis is away; the next round tries again, and an expired lease only frees a slot early.
        });
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Pushes every held lease's expiry to now + ttl; XX: a lease that already expired stays gone. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const expiry = Date.now() + this.ttlMs;
    const members = [...this.held];
    const pipeline = this.redis.pipeline();
    for (let index = 0; index < members.length; index += 500) {
      const args: (string | number)[] = [];
      for (const member of members.slice(index, index + 500)) args.push(expiry, member);
      pipeline.zadd(this.keys.accountLeases(), 'XX', ...args);
    }
    await pipeline.exec();
  }
}
