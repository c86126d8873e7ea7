/**
 * `npm run bench -- admission [--prompts N] [--concurrency C] [--accounts 1,10,30,100] [--rounds R] [--commands]`
 *
 * What admission costs Redis as the account count grows: the same batch (5,000 prompts by
 * default) through one relayq worker (concurrency 64) against the simulator at zero latency,
 * with 1, 10, 30 and 100 accounts whose limits apply (so every call goes through the admission
 * script) but never bind. Redis CPU (`used_cpu_sys` + `used_cpu_user` from INFO cpu) from the
 * submit to the batch's end, per prompt, the median of R rounds (3; the cases take turns), side by side with the one-account run and a run whose account has no limits
 * (no admission script at all). Target: 30 accounts at most 1.5x one. `--commands` prints, per
 * run, the commands that cost Redis most per prompt (INFO commandstats).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createRedis } from '../src/redis/connection.ts';
import { dropKeys, relayqRun } from './scheduling.ts';
import { argValue, benchRedis, redisCpuSeconds, startSimulatorProcess, table } from './support.ts';

const targetRatio = 1.5;
const targetAccounts = 30;

/** usec and calls per command (INFO commandstats). */
async function commandStats(redis: ReturnType<typeof createRedis>): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    stats.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

export default async function admission(args: string[]): Promise<void> {
  const prompts = argValue(args, '--prompts', 5_000);
  const concurrency = argValue(args, '--concurrency', 64);
  const accountsIndex = args.indexOf('--accounts');
  const counts = (accountsIndex >= 0 ? String(args[accountsIndex + 1]) : '1,10,30,100').split(',').map(Number);
  if (counts.some((count) => !Number.isInteger(count) || count <= 0)) throw new Error('--accounts wants counts like 1,10,30');
  const redisInfo = await benchRedis();
  const redis = createRedis(redisInfo.url);
  const dir = mkdtempSync(join(tmpdir(), 'relayq-admission-'));
  const run = `adm-${Date.now().toString(36)}`;
  console.error(
    `bench admission: ${prompts} prompts, 1 worker x ${concurrency}, simulator at zero latency, accounts ${counts.join(', ')}; Redis ${redisInfo.url}`,
  );

  const file = join(dir, 'prompts.jsonl');
  const lines = Array.from({ length: prompts }, (_, i) =>
    JSON.stringify({
      custom_id: `p${i}`,
      params: { model: 'claude-bench', max_tokens: 16, messages: [{ role: 'user', content: `Q${i}` }] },
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  const simConfig = join(dir, 'sim.yaml');
  // Any key is accepted, without limits of its own; the configured limits below are far above what one worker sends.
  writeFileSync(simConfig, stringify({ latencyMs: 0 }));
  const simulator = await startSimulatorProcess(simConfig);

  const cases: { name: string; accounts: number; limited: boolean }[] = [
    { name: 'no limits', accounts: 1, limited: false },
    ...counts.map((accounts) => ({ name: `${accounts} limited`, accounts, limited: true })),
  ];
  const rounds = argValue(args, '--rounds', 3);
  // --commands: per case, the commands that cost Redis most per prompt (INFO commandstats).
  const showCommands = args.includes('--commands');
  // Per case, every round's Redis CPU per prompt; the median is printed. Cases alternate within a round.
  const samples = new Map<string, { us: number[]; ms: number[]; failed: number }>();
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const scenario of cases) {
        const prefix = `${run}-${round}-${scenario.accounts}${scenario.limited ? 'l' : 'n'}`;
        const configFile = join(dir, `relayq-${prefix}.yaml`);
        writeFileSync(
          configFile,
          stringify({
            redis: { prefix },
            worker: { concurrency, attempts: 5 },
            accounts: Array.from({ length: scenario.accounts }, (_, i) => ({
              id: `acct-${i}`,
              provider: 'anthropic',
              baseUrl: simulator.url,
              apiKey: `sk-bench-${i}`,
              ...(scenario.limited ? { limits: { rpm: 10_000_000, outputTpm: 1_000_000_000, burst: 60 } } : {}),
            })),
          }),
        );
        let statsBefore: Map<string, { calls: number; usec: number }> | null = null;
        let statsDelta = '';
        const probe = async (): Promise<number> => {
          const cpu = await redisCpuSeconds(redis);
          if (showCommands) {
            const now = await commandStats(redis);
            if (statsBefore === null) statsBefore = now;
            else {
              const before = statsBefore;
              statsDelta = [...now]
                .map(([name, { calls, usec }]) => ({
                  name,
                  calls: calls - (before.get(name)?.calls ?? 0),
                  usec: usec - (before.get(name)?.usec ?? 0),
                }))
                .filter((entry) => entry.usec > 0)
                .sort((a, b) => b.usec - a.usec)
                .slice(0, 8)
                .map((entry) => `${entry.name} ${(entry.usec / prompts).toFixed(1)}us ${(entry.calls / prompts).toFixed(2)}x`)
                .join(', ');
            }
          }
          return cpu;
        };
        const result = await relayqRun(redisInfo.url, redis, prefix, configFile, file, 1, simulator.url, probe);
        await dropKeys(redis, `{${prefix}}`);
        const entry = samples.get(scenario.name) ?? { us: [], ms: [], failed: 0 };
        entry.us.push(((result.probed ?? Number.NaN) / prompts) * 1e6);
        entry.ms.push(result.ms);
        entry.failed += result.failed;
        samples.set(scenario.name, entry);
        console.error(`round ${round} ${scenario.name}: ${entry.us.at(-1)?.toFixed(0)} us/prompt, ${(result.ms / 1000).toFixed(1)} s`);
        if (showCommands) console.error(`  per prompt: ${statsDelta}`);
      }
    }
  } finally {
    await simulator.stop();
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  const oneLimited = median(samples.get('1 limited')?.us ?? [Number.NaN]);
  const rows = [['accounts', 'prompts/s', 'failed', 'Redis us/prompt (each round)', 'median', 'x one limited', 'verdict']];
  for (const scenario of cases) {
    const entry = samples.get(scenario.name);
    if (entry === undefined) continue;
    const perPrompt = median(entry.us);
    const ratio = scenario.limited ? perPrompt / oneLimited : null;
    rows.push([
      scenario.name,
      ((prompts / median(entry.ms)) * 1000).toFixed(0),
      String(entry.failed),
      entry.us.map((us) => us.toFixed(0)).join(' '),
      perPrompt.toFixed(0),
      ratio === null ? '' : ratio.toFixed(2),
      scenario.accounts === targetAccounts && ratio !== null
        ? `${ratio <= targetRatio && entry.failed === 0 ? 'meets' : 'MISSES'} <= ${targetRatio}x one limited, 0 failed`
        : '',
    ]);
  }
  console.log(table(rows));
  redis.disconnect();
  await redisInfo.stop();
}
