import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BindingCache, readBindings, removeBinding, setBinding } from '../../src/accounts/bindings.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { testPrefix, testRedis } from '../helpers/redis.ts';

describe('account bindings', () => {
  const redis: Redis = testRedis();
  const keys = createKeys(testPrefix('bind'));
  afterAll(async () => {
    await redis.del(keys.accountBindings(), keys.batch('batch_t1'), keys.batch('batch_t2'), keys.batch('batch_t3'));
    redis.disconnect();
  });

  it('binds a batch directly, or through the tenant it was submitted for (--tag tenant=NAME)', async () => {
    await redis.hset(keys.batch('batch_t1'), 'metadata', JSON.stringify({ tenant: 'acme', team: 'search' }));
    await redis.hset(keys.batch('batch_t2'), 'metadata', JSON.stringify({ team: 'search' }));
    await redis.hset(keys.batch('batch_t3'), 'metadata', JSON.stringify({ tenant: 'acme' }));
    await setBinding(redis, keys, { tenant: 'acme' }, { accounts: ['acme-1'], groups: [], exclusive: false });
    await setBinding(redis, keys, { batch: 'batch_t3' }, { accounts: [], groups: ['vip'], exclusive: true });

    const cache = new BindingCache(redis, keys);
    expect(await cache.forBatch('batch_t1')).toEqual({ accounts: ['acme-1'], groups: [], exclusive: false });
    expect(await cache.forBatch('batch_t2')).toBeNull();
    // A binding of the batch itself wins over its tenant's.
    expect(await cache.forBatch('batch_t3')).toEqual({ accounts: [], groups: ['vip'], exclusive: true });
    // Known without waiting only when no tenant lookup is needed.
    expect(cache.peek('batch_t3')).toEqual({ accounts: [], groups: ['vip'], exclusive: true });
    expect(cache.peek('batch_t2')).toBeUndefined();

    expect(await removeBinding(redis, keys, { tenant: 'acme' })).toBe(true);
    expect([...(await readBindings(redis, keys)).keys()]).toEqual(['batch:batch_t3']);
  });
});
