/**
 * Concurrency leases this worker holds. Each lease in Redis expires on its own (a crashed
 * worker's slots come back after the lease time to live), so a live worker extends the leases
 * of its calls still running, every third of the time to live.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export class LeaseKeeper {
  /** The lease ids of every call still running, by account. */
  private readonly held = new Map<string, Set<string>>();
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
    const leases = this.held.get(accountId);
    if (leases === undefined) this.held.set(accountId, new Set([leaseId]));
    else leases.add(leaseId);
  }

  release(accountId: string, leaseId: string): void {
    const leases = this.held.get(accountId);
    if (leases === undefined) return;
    leases.delete(leaseId);
    if (leases.size === 0) this.held.delete(accountId);
  }

  get count(): number {
    let count = 0;
    for (const leases of this.held.values()) count += leases.size;
    return count;
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
    // One request per account and 500 leases (accounts live in groups of their own), all sent at once.
    const renewals: Promise<unknown>[] = [];
    for (const [accountId, leases] of this.held) {
      const members = [...leases];
      for (let index = 0; index < members.length; index += 500) {
        const args: (string | number)[] = [];
        for (const member of members.slice(index, index + 500)) args.push(expiry, member);
        renewals.push(this.redis.zadd(this.keys.accountLeases(accountId), 'XX', ...args));
      }
    }
    await Promise.all(renewals);
  }
}
