/** `relayq accounts list|enable|disable|bind` through the real command line and a real Redis. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/redis/keys.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir, writeConfig } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

interface ListedAccount {
  id: string;
  inConfig: boolean;
  health: { status: string; disabledBy: string | null; reason: string | null };
  configured: { rpm: number | null; concurrency: number | null };
}

describe('relayq accounts', () => {
  const prefix = testPrefix('acli');
  let redis: Redis;
  let config: string;
  const env = () => ({ REDIS_URL: testRedisUrl() });

  beforeAll(() => {
    redis = testRedis();
    config = writeConfig(tempDir('relayq-acli'), {
      redis: { prefix },
      accounts: [
        { id: 'main', provider: 'anthropic', apiKey: 'sk-main', limits: { rpm: 4000, concurrency: 64 } },
        { id: 'backup', provider: 'anthropic', apiKey: 'sk-backup' },
      ],
    });
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('disables an account for every worker with a reason, lists it as such, and enables it again', async () => {
    const disabled = await runCli(['accounts', 'disable', 'backup', '--reason', 'rotating the key', '-c', config], { env: env() });
    expect(disabled.code).toBe(0);

    const listed = await runCli(['accounts', 'list', '--json', '-c', config], { env: env() });
    expect(listed.code).toBe(0);
    const { accounts } = JSON.parse(listed.stdout) as { accounts: ListedAccount[] };
    const byId = new Map(accounts.map((account) => [account.id, account]));
    expect(byId.get('backup')?.health).toMatchObject({ status: 'disabled', disabledBy: 'operator', reason: 'rotating the key' });
    expect(byId.get('main')).toMatchObject({ inConfig: true, health: { status: 'ok' }, configured: { rpm: 4000, concurrency: 64 } });

    const table = await runCli(['accounts', 'list', '-c', config], { env: { ...env(), NO_COLOR: '1' } });
    expect(table.stdout).toMatch(/^ACCOUNT\s+PROVIDER\s+HEALTH/m);
    expect(table.stdout).toMatch(/^backup\s+anthropic\s+disabled \(operator\)/m);
    expect(table.stdout).toContain('backup: disabled since');
    expect(table.stdout).toContain('rotating the key');

    const enabled = await runCli(['accounts', 'enable', 'backup', '-c', config], { env: env() });
    expect(enabled.code).toBe(0);
    expect(await redis.hget(createKeys(prefix).accountState('backup'), 'dis')).toBeNull();
  });

  it('refuses unknown accounts (exit 5) and bad bindings (exit 2), and stores a binding', async () => {
    const unknown = await runCli(['accounts', 'disable', 'nope', '-c', config], { env: env() });
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('no account "nope"');

    const empty = await runCli(['accounts', 'bind', 'batch_abc123', '-c', config], { env: env() });
    expect(empty.code).toBe(2);

    const bound = await runCli(['accounts', 'bind', 'batch_abc123', '--accounts', 'main', '--exclusive', '-c', config], { env: env() });
    expect(bound.code).toBe(0);
    const stored = await redis.hget(createKeys(prefix).accountBindings(), 'batch:batch_abc123');
    expect(JSON.parse(stored ?? '{}')).toEqual({ accounts: ['main'], groups: [], exclusive: true });
  });
});
