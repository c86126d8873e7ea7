import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/redis/connection.ts';

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix of the test's own, so tests never see each other's keys or queues. */
export function testPrefix(name = 't'): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export function testRedis(): Redis {
  return createRedis(testRedisUrl());
}

/** Deletes every key under `{prefix}`; on a Redis Cluster client, on every master. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  const cluster = redis as unknown as { isCluster?: boolean; nodes?: (role: 'master') => Redis[] };
  const nodes = cluster.isCluster === true && cluster.nodes ? cluster.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      // `{prefix}` and the shard, account and scheduling tags `{prefix:...}`.
      const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}[}:]*`, 'COUNT', 1000);
      cursor = next;
      // One key per DEL: a cluster node refuses a DEL of keys in different slots.
      if (keys.length > 0) await Promise.all(keys.map((key) => node.del(key)));
    } while (cursor !== '0');
  }
}
