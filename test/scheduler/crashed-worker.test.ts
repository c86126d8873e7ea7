/**
 * A worker killed with SIGKILL holds concurrency leases it will never give back; they expire
 * after the lease time to live (the job lock duration) and the account's slots serve the next
 * worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readAccountStates } from '../../src/accounts/state.ts';
import { spawnCli } from '../helpers/cli.ts';
import { promptText, tempDir, writeConfig } from '../helpers/files.ts';
import { testRedisUrl } from '../helpers/redis.ts';
import { anthropicLine, startHarness, until, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a crashed worker', () => {
  it('gets its concurrency leases back after they expire, and the batch completes on another worker', async () => {
    const worker = { concurrency: 4, lockDurationMs: 1500, stalledIntervalMs: 500 };
    harness = await startHarness({
      name: 'lease',
      simulator: { latencyMs: 1500 },
      config: (url) => ({
        worker,
        accounts: [{ id: 'slow', provider: 'anthropic', baseUrl: url, apiKey: 'sk-slow', limits: { concurrency: 2 } }],
      }),
      workers: 0,
    });
    const configFile = writeConfig(tempDir('relayq-lease'), {
      redis: { prefix: harness.prefix },
      worker,
      accounts: [{ id: 'slow', provider: 'anthropic', baseUrl: harness.simulator.url, apiKey: 'sk-slow', limits: { concurrency: 2 } }],
    });
    const leases = () => harness!.redis.zcard(harness!.keys.accountLeases('slow'));

    const doomed = spawnCli(['worker', '-c', configFile], { env: { REDIS_URL: testRedisUrl() } });
    const exited = new Promise((resolve) => doomed.once('exit', resolve));
    const batchId = await harness.submit(Array.from({ length: 4 }, (_, i) => anthropicLine(`p${i}`, promptText(i))));
    await until(async () => (await leases()) === 2, 'the first worker to hold both slots');
    doomed.kill('SIGKILL');
    await exited;
    // Calls the dead worker had in flight end (answered or aborted) before anything is counted.
    await until(() => harness!.simulator.stats().inFlight === 0, "the dead worker's calls to end");
    const billed = () => harness!.simulator.stats().byStatus['200'] ?? 0;
    // Answers billed whose result the dead worker never stored: only these prompts may run twice.
    const lost = billed() - (await harness.redis.hlen(harness.keys.batchResults(batchId)));
    const [held] = await readAccountStates(harness.redis, harness.keys, ['slow']);
    expect(held?.usage.inFlight).toBe(2);

    await harness.startWorker();
    await until(async () => (await harness!.batch(batchId)).counts.pending === 0, 'the batch to finish on the second worker');
    const results = await harness.results(batchId);
    expect(results.filter((record) => record.status === 'succeeded')).toHaveLength(4);
    // No double billing: each prompt answered once, plus once more only for answers lost with the worker.
    expect(billed()).toBe(4 + lost);
    // Nothing stays held: the dead worker's leases expired, the live worker's were released.
    expect(await leases()).toBe(0);
    const [after] = await readAccountStates(harness.redis, harness.keys, ['slow']);
    expect(after?.usage.inFlight).toBe(0);
    // At no point did more than two calls run at once on the account.
    expect(harness.simulator.stats().maxInFlight).toBeLessThanOrEqual(2);
  });
});
