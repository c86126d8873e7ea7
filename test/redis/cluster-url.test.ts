import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/lib/config-error.ts';
import { clusterUrl, isClusterUrl, parseClusterUrl, redactRedisUrl } from '../../src/redis/connection.ts';

describe('Redis Cluster URLs', () => {
  it('reads seed nodes, credentials and TLS from a redis+cluster:// URL', () => {
    expect(parseClusterUrl('redis+cluster://node-a:7000,node-b,[::1]:7002/')).toEqual({
      nodes: [
        { host: 'node-a', port: 7000 },
        { host: 'node-b', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      auth: {},
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@h1:7000,h2:7001')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      auth: { username: 'app', password: 'p@ss', tls: {} },
    });
    expect(parseClusterUrl('redis://h1:6379')).toBeNull();
    expect(() => parseClusterUrl('redis+cluster://')).toThrow('names no cluster node');
    expect(() => parseClusterUrl('redis+cluster://h1:7000/2')).toThrow('has a path');
  });

  it('builds one from seed URLs and hides its password in messages', () => {
    const url = clusterUrl(['redis://app:secret@h1:7000', 'redis://h2:7001']);
    expect(url).toBe('redis+cluster://app:secret@h1:7000,h2:7001');
    expect(isClusterUrl(url)).toBe(true);
    expect(redactRedisUrl(url)).toBe('redis+cluster://app:***@h1:7000,h2:7001');
    expect(redactRedisUrl('rediss+cluster://secret@h1:7000')).toBe('rediss+cluster://***@h1:7000');
    expect(redactRedisUrl('redis://:secret@h1:6379')).toBe('redis://:***@h1:6379');
  });

  it('takes redis.cluster in the config as a cluster URL, not together with redis.url; REDIS_URL wins over both', () => {
    expect(parseConfig({ redis: { cluster: ['redis://h1:7000', 'redis://h2:7001'] } }, {}).redis.url).toBe(
      'redis+cluster://h1:7000,h2:7001',
    );
    expect(parseConfig({ redis: { url: 'redis+cluster://h1:7000' } }, {}).redis.url).toBe('redis+cluster://h1:7000');
    expect(() => parseConfig({ redis: { url: 'redis://h1', cluster: ['redis://h2:7000'] } }, {})).toThrow(
      'give redis.url or redis.cluster, not both',
    );
    expect(() => parseConfig({ redis: { cluster: ['h2:7000'] } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({}, { REDIS_URL: 'redis+cluster://h1:7000/3' })).toThrow(
      'cluster node "h1:7000/3" in redis+cluster://h1:7000/3 has a path',
    );
    expect(parseConfig({ redis: { cluster: ['redis://h2:7000'] } }, { REDIS_URL: 'redis://other:6379' }).redis.url).toBe(
      'redis://other:6379',
    );
  });
});
