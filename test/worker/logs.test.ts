import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

/** The lines of a log stream that are not JSON objects. */
function nonJsonLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
}

describe('worker logs', () => {
  let simulator: RunningSimulator;
  const dir = tempDir('relayq-logs');

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  it('stay JSON lines while Redis is down', async () => {
    const redis: OwnRedis = await startOwnRedis();
    const config = writeConfig(
      dir,
      {
        redis: { prefix: testPrefix('logs') },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-logs' }],
      },
      'outage.yaml',
    );
    const child = spawnCli(['worker', '-c', config], { env: { REDIS_URL: redis.url, LOG_LEVEL: 'info' } });
    let stderr = '';
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const look = () => {
          if (pattern.test(stderr)) {
            child.stderr?.off('data', look);
            child.off('exit', gone);
            resolve();
          }
        };
        const gone = () => reject(new Error(`the worker exited before its stderr matched ${pattern}:\n${stderr}`));
        child.stderr?.on('data', look);
        child.once('exit', gone);
        look();
      });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Bounded: a worker that never logs these fails the test instead of stalling the suite.
    const bound = setTimeout(() => child.kill('SIGKILL'), 50_000);
    try {
      await seen(/worker started/);
      await redis.kill();
      await seen(/ECONNREFUSED/);
    } finally {
      clearTimeout(bound);
      child.kill('SIGKILL');
      await redis.kill();
    }
    expect(nonJsonLines(stderr)).toEqual([]);
    const refused = stderr.split('\n').filter((line) => line.includes('ECONNREFUSED'));
    for (const line of refused) expect(JSON.parse(line)).toMatchObject({ level: 40, source: expect.any(String) });
  });

  it('log a retried attempt below error level; a prompt that ends errored logs no "job failed without a result"', async () => {
    const prefix = testPrefix('logs');
    const config = writeConfig(
      dir,
      {
        redis: { prefix },
        worker: { attempts: 3 },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-logs' }],
      },
      'retries.yaml',
    );
    const lines = [
      anthropicBatchLine('ok-1', promptText(1)),
      anthropicBatchLine('fails', 'always a server error [[sim:fault=server]]'),
      anthropicBatchLine('ok-2', promptText(2)),
    ];
    const file = writePromptFile(dir, lines, 'retries.jsonl');
    const redis = testRedis();
    try {
      const result = await runCli(['run', file, '-o', `${dir}/retries-out.jsonl`, '-c', config], {
        env: { REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info' },
      });
      expect(result.code).toBe(4);
      const logged = result.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; attempt?: number });
      expect(logged.filter((entry) => entry.msg === 'job failed without a result')).toEqual([]);
      expect(logged.filter((entry) => entry.level >= 50)).toEqual([]);
      expect(logged.filter((entry) => entry.msg === 'prompt failed')).toHaveLength(1);
    } finally {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
