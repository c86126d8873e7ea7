/**
 * Account availability from the shared account state, end to end: the simulator refuses one
 * account's key (401) and the settlement disables it, another cools down after a 429; the
 * executors count what is left, and `accounts list`, `submit --dry-run` and `status` say that
 * the provider has no available account.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvailabilityReader, unavailableMessage } from '../../src/accounts/availability.ts';
import { registerAccounts, setAccountEnabled } from '../../src/accounts/state.ts';
import { accountSchema, type Account } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/executors/errors.ts';
import type { ExecutorContext } from '../../src/executors/types.ts';
import { closeDispatchers } from '../../src/http/dispatchers.ts';
import { providerModule, providers } from '../../src/providers/index.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { settleAccount } from '../../src/scheduler/settlement.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeConfig } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';
import { settleInput } from '../helpers/settle-input.ts';

const prefix = testPrefix('avail');
const keys: Keys = createKeys(prefix);
let redis: Redis;
let sim: RunningSimulator;
let dir: string;
let config: string;
let accounts: Account[];
let context: ExecutorContext;
const env = () => ({ REDIS_URL: testRedisUrl(), NO_COLOR: '1' });

beforeAll(async () => {
  redis = withScripts(testRedis());
  sim = await startSimulator({ keys: [{ key: 'sk-good' }], acceptAnyKey: false });
  const raw = [
    { id: 'acct-1', provider: 'anthropic', apiKey: 'sk-revoked', baseUrl: sim.url },
    { id: 'acct-2', provider: 'anthropic', apiKey: 'sk-good', baseUrl: sim.url },
    { id: 'gpt-1', provider: 'openai', apiKey: 'sk-good', baseUrl: sim.url },
  ];
  accounts = raw.map((account) => accountSchema.parse(account));
  dir = tempDir('relayq-avail');
  config = writeConfig(dir, { redis: { prefix }, accounts: raw });
  await registerAccounts(redis, keys, accounts);
  context = { accounts: () => accounts, availability: createAvailabilityReader(redis, keys, () => accounts) };
});

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
  await sim.close();
  await closeDispatchers();
});

describe('account availability', () => {
  it("counts every provider's accounts that can take calls, by model, from the shared state", async () => {
    for (const module of providers) {
      const executor = module.createExecutor(context);
      const expected = accounts.filter((account) => account.provider === module.id).length;
      expect(await executor.getAvailableAccountsCount()).toBe(expected);
      expect(await executor.isAvailable()).toBe(expected > 0);
    }
    const modelAccounts = [accountSchema.parse({ id: 'haiku-only', provider: 'anthropic', apiKey: 'k', models: ['claude-haiku-*'] })];
    const byModel = providerModule('anthropic').createExecutor({
      accounts: () => modelAccounts,
      availability: createAvailabilityReader(redis, createKeys(`${prefix}-models`), () => modelAccounts),
    });
    expect(await byModel.getAvailableAccountsCount('claude-haiku-4-5')).toBe(1);
    expect(await byModel.getAvailableAccountsCount('claude-opus-4-1')).toBe(0);
  });

  it('drops an account the simulator refuses (401) and one cooling down, and says why', async () => {
    const anthropic = providerModule('anthropic').createExecutor(context);
    const request = {
      provider: 'anthropic' as const,
      model: 'claude-sonnet-4-5',
      body: { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
    };
    const refused = await anthropic.execute(request, {}, accounts[0] as Account).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ kind: 'auth', statusCode: 401 });
    await settleAccount(redis, keys, settleInput('acct-1', { outcome: 'auth', message: (refused as ProviderError).message }));
    expect(await anthropic.getAvailableAccountsCount()).toBe(1);

    await settleAccount(
      redis,
      keys,
      settleInput('acct-2', { outcome: 'rate_limited', cooldownMs: 60_000, message: '429 rate_limit_error' }),
    );
    expect(await anthropic.getAvailableAccountsCount()).toBe(0);
    expect(await anthropic.isAvailable()).toBe(false);
    expect(await providerModule('openai').createExecutor(context).isAvailable()).toBe(true);

    const message = unavailableMessage(await createAvailabilityReader(redis, keys, () => accounts).read('anthropic'));
    expect(message).toMatch(/^no available anthropic account: acct-1 disabled \(auth\), acct-2 cooling down (59|60)s$/);
  });

  it('accounts list, submit --dry-run and status say the provider has no available account', async () => {
    const blocked = /no available anthropic account: acct-1 disabled \(auth\), acct-2 cooling down \d+s/;

    const table = await runCli(['accounts', 'list', '-c', config], { env: env() });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(blocked);
    const listed = JSON.parse((await runCli(['accounts', 'list', '--json', '-c', config], { env: env() })).stdout) as {
      availability: { provider: string; available_accounts: number; unavailable: string | null }[];
    };
    expect(listed.availability).toContainEqual(
      expect.objectContaining({ provider: 'anthropic', available_accounts: 0, unavailable: expect.stringMatching(blocked) }),
    );
    expect(listed.availability).toContainEqual(expect.objectContaining({ provider: 'openai', available_accounts: 1, unavailable: null }));

    const file = join(dir, 'prompts.jsonl');
    const line = (id: string) =>
      JSON.stringify({
        custom_id: id,
        params: { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      });
    writeFileSync(file, `${line('p1')}\n${line('p2')}\n`);
    const dry = await runCli(['submit', file, '--dry-run', '-c', config], { env: env() });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`warning: ${blocked.source}`));
    const dryJson = JSON.parse((await runCli(['submit', file, '--dry-run', '--json', '-c', config], { env: env() })).stdout) as {
      availability: { provider: string; model: string | null; available_accounts: number; unavailable: string | null }[];
    };
    expect(dryJson.availability).toEqual([
      { provider: 'anthropic', model: 'claude-sonnet-4-5', available_accounts: 0, unavailable: expect.stringMatching(blocked) },
    ]);

    const submitted = await runCli(['submit', file, '--provider', 'anthropic', '-c', config], { env: env() });
    expect(submitted.code).toBe(0);
    const batchId = submitted.stdout.trim().split('\n').pop() as string;
    const status = await runCli(['status', batchId, '-c', config], { env: env() });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^accounts   ${blocked.source}`, 'm'));
    const statusJson = JSON.parse((await runCli(['status', batchId, '--json', '-c', config], { env: env() })).stdout) as {
      availability: { provider: string; available_accounts: number; unavailable: string | null }[];
    };
    expect(statusJson.availability).toContainEqual(
      expect.objectContaining({ provider: 'anthropic', available_accounts: 0, unavailable: expect.stringMatching(blocked) }),
    );

    // An operator enabling the refused account again makes the provider available.
    await setAccountEnabled(redis, keys, 'acct-1', true);
    const again = JSON.parse((await runCli(['accounts', 'list', '--json', '-c', config], { env: env() })).stdout) as typeof listed;
    expect(again.availability).toContainEqual(expect.objectContaining({ provider: 'anthropic', available_accounts: 1, unavailable: null }));
  });
});
