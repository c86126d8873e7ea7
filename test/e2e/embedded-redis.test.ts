import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRedis, startEmbeddedRedis, RedisUnavailableError } from '../../src/redis/embedded.ts';
import { redisAnswers } from '../../src/redis/connection.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

describe('Redis on embedded defaults', () => {
  it('starts its own redis-server when none is configured or answering, with the append-only file on', async () => {
    const dir = tempDir('relayq-embedded');
    const resolved = await resolveRedis({ probeUrl: 'redis://127.0.0.1:1', dataDir: join(dir, 'redis') });
    try {
      expect(resolved.origin).toBe('embedded');
      expect(await redisAnswers(resolved.url)).toBe(true);
    } finally {
      await resolved.stop();
    }
    expect(await redisAnswers(resolved.url, 300)).toBe(false);
    expect(existsSync(join(dir, 'redis', 'appendonlydir'))).toBe(true);
  });

  it('says how to install Redis when there is no redis-server binary', async () => {
    const error = await startEmbeddedRedis(tempDir('relayq-nobinary'), 'redis-server-that-does-not-exist').catch((e: Error) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(/apt-get install -y redis-server/);
    expect((error as Error).message).toMatch(/REDIS_URL/);
  });

  it('refuses a configured Redis that does not answer, naming it without its password', async () => {
    await expect(resolveRedis({ url: 'redis://user:secret@127.0.0.1:1' })).rejects.toThrow(/127\.0\.0\.1:1 does not answer/);
    await expect(resolveRedis({ url: 'redis://user:secret@127.0.0.1:1' })).rejects.not.toThrow(/secret/);
  });

  it('npm start: runs the example file with no config, no accounts, on the built-in simulator', async () => {
    // A working directory without config/relayq.yaml, so the built-in defaults apply; Redis is
    // the test Redis (the embedded path itself is covered above). The one setting given is a key
    // prefix of the test's own, so a developer's relayq data under the default prefix is never touched.
    const cwd = tempDir('relayq-start');
    const prefix = testPrefix('start');
    const configFile = join(tempDir('relayq-start-config'), 'relayq.yaml');
    writeFileSync(configFile, `redis:\n  prefix: ${prefix}\n`);
    const out = join(cwd, 'results.jsonl');
    const result = await runCli(['run', resolve('examples/prompts.jsonl'), '-o', out], {
      cwd,
      env: { REDIS_URL: process.env.REDIS_URL ?? '', RELAYQ_CONFIG: configFile },
    }).finally(async () => {
      const redis = testRedis();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });
    expect(result.stderr).toContain('using the built-in simulator');
    expect(result.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const expected = readFileSync('examples/prompts.jsonl', 'utf8').trim().split('\n').length;
    expect(lines).toHaveLength(expected);
    expect(lines.every((line) => JSON.parse(line).status === 'succeeded')).toBe(true);
    expect(result.stderr).toMatch(/prompts\/s/);
  });
});
