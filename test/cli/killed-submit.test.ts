/**
 * `relayq submit` killed with SIGKILL midway through a big file: the batch it leaves is not
 * half-open. `relayq status` says its ingest stopped, `relayq cancel` ends it (once the dead
 * submit's lease is gone, which the test removes rather than waiting its 30 s out), and every
 * accepted line gets a result. Also: hostile custom_ids printed by `relayq submit` stay one
 * escaped line each.
 */
import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

describe('a killed submit, and hostile custom_ids, on the command line', () => {
  let redis: Redis;
  const prefix = testPrefix('killed');
  const dir = tempDir('relayq-killed');
  let config: string;
  const env = () => ({ REDIS_URL: testRedisUrl() });

  beforeAll(() => {
    redis = testRedis();
    config = writeConfig(dir, { redis: { prefix } });
  });

  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cancel ends a batch whose submit was killed midway', async () => {
    const file = writePromptFile(
      dir,
      Array.from({ length: 200_000 }, (_, i) => anthropicBatchLine(`k${i}`, `prompt ${i}`)),
      'big.jsonl',
    );
    const child = spawnCli(['submit', file, '-c', config], { env: env() });
    let gone = false;
    const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => (gone = true));
    // Kill it as soon as it has accepted some lines.
    let batchId: string | undefined;
    for (;;) {
      if (gone) throw new Error('the submit ended before it could be killed');
      batchId = (await redis.zrange(`{${prefix}}:batches`, 0, 0))[0];
      if (batchId !== undefined && Number(await redis.hget(`{${prefix}}:batch:${batchId}`, 'total')) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(await redis.hget(`{${prefix}}:batch:${batchId}`, 'ingest')).toBe('running');
    // The dead submit's lease, as when its 30 s ran out.
    await redis.del(`{${prefix}}:batch:${batchId}:ingest`);

    const status = await runCli(['status', batchId, '--json', '-c', config], { env: env() });
    expect(JSON.parse(status.stdout)).toMatchObject({ ingest: 'stopped' });
    const cancel = await runCli(['cancel', batchId, '--wait', '30s', '--json', '-c', config], { env: env() });
    expect(cancel.code).toBe(0);
    const outcome = JSON.parse(cancel.stdout);
    expect(outcome).toMatchObject({ changed: true, in_flight: 0, batch: { status: 'cancelled', ingest: 'done' } });
    const total = outcome.batch.counts.total;
    expect(total).toBeGreaterThan(0);
    expect(outcome.batch.counts).toEqual({ total: total, succeeded: 0, errored: 0, cancelled: total, expired: 0, pending: 0, rejected: 0 });
  });

  it('submit prints each rejected line on one line, its custom_id escaped and bounded', async () => {
    const file = writePromptFile(
      dir,
      [
        anthropicBatchLine('ok-1', 'fine'),
        JSON.stringify({ custom_id: 'evil\nline 99: forged\u001b[2J', params: {} }),
        anthropicBatchLine('h'.repeat(1024 * 1024), 'huge id'),
      ],
      'hostile.jsonl',
    );
    const result = await runCli(['submit', file, '-c', config], { env: env() });
    expect(result.stderr).not.toContain('\u001b');
    const rejectLines = result.stderr.split('\n').filter((line) => /^line \d+/.test(line));
    expect(rejectLines.map((line) => line.slice(0, 7))).toEqual(['line 2 ', 'line 3 ']);
    expect(rejectLines[0]).toContain('custom_id "evil\\nline 99: forged\\u001b[2J"');
    expect(result.stderr.length).toBeLessThan(5_000);
    const batchId = result.stdout.trim();
    const status = await runCli(['status', batchId, '--json', '-c', config], { env: env() });
    expect(status.stdout.length).toBeLessThan(20_000);
    expect(JSON.parse(status.stdout).rejected_lines).toHaveLength(2);
  });
});
