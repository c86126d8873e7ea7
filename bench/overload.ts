/**
 * `npm run bench -- overload [--prompts N] [--rate R] [--concurrency N]`
 *
 * The 529 back-off on an account without limits whose answers carry no rate-limit headers:
 * 300 prompts (default) through one relayq worker (100 ms latency) against the simulator, once with no faults
 * and once with 8 % of answers `529 overloaded_error`. A few overloads are retried by their prompts;
 * overloads in a row cool the account down (0.5 s, doubling); a success must end the run, or the
 * back-off keeps growing to its 10 s cap. Target: the faulty run within 2x the clean run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createRedis } from '../src/redis/connection.ts';
import { dropKeys, relayqRun, type RunResult } from './scheduling.ts';
import { argValue, benchRedis, startSimulatorProcess, table } from './support.ts';

const targetRatio = 2;

export default async function overload(args: string[]): Promise<void> {
  const prompts = argValue(args, '--prompts', 300);
  const rate = argValue(args, '--rate', 0.08);
  const concurrency = argValue(args, '--concurrency', 16);
  const redisInfo = await benchRedis();
  const redis = createRedis(redisInfo.url);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-overload-'));
  const run = `ovl-${Date.now().toString(36)}`;
  console.error(
    `bench overload: ${prompts} prompts, one account without limits, 1 worker x ${concurrency}, ${rate * 100} % 529s; Redis ${redisInfo.url}`,
  );

  const file = join(dir, 'prompts.jsonl');
  const lines = Array.from({ length: prompts }, (_, i) =>
    JSON.stringify({
      custom_id: `p${i}`,
      params: { model: 'claude-bench', max_tokens: 64, messages: [{ role: 'user', content: `Question ${i}: what is ${i} plus ${i}?` }] },
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);

  const results: { name: string; result: RunResult }[] = [];
  for (const [name, overloadedRate] of [
    ['clean', 0],
    ['529s', rate],
  ] as const) {
    const simConfig = join(dir, `sim-${name}.yaml`);
    writeFileSync(simConfig, stringify({ latencyMs: 100, faults: { seed: 7, overloadedRate } }));
    const simulator = await startSimulatorProcess(simConfig);
    try {
      const prefix = `${run}-${name}`;
      const configFile = join(dir, `relayq-${name}.yaml`);
      writeFileSync(
        configFile,
        stringify({
          redis: { prefix },
          worker: { concurrency, attempts: 8 },
          accounts: [{ id: 'acct-free', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-bench-free' }],
        }),
      );
      const result = await relayqRun(redisInfo.url, redis, prefix, configFile, file, 1, simulator.url);
      results.push({ name, result });
      await dropKeys(redis, `{${prefix}}`);
    } finally {
      await simulator.stop();
    }
  }

  const clean = results[0]!.result;
  const rows = [['run', 'wall s', '529s', 'requests', 'failed', 'x clean', 'verdict']];
  for (const { name, result } of results) {
    const ratio = result.ms / clean.ms;
    rows.push([
      name,
      (result.ms / 1000).toFixed(2),
      String(result.stats.byStatus['529'] ?? 0),
      String(result.stats.requests),
      String(result.failed),
      ratio.toFixed(2),
      name === 'clean' ? '' : `${ratio <= targetRatio && result.failed === 0 ? 'meets' : 'MISSES'} <= ${targetRatio}x clean, 0 failed`,
    ]);
  }
  console.log(table(rows));
  redis.disconnect();
  await redisInfo.stop();
}
