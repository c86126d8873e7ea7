import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTypes } from '../../jobs/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startWorker } from '../../src/worker/start-worker.ts';
import { startLocalServer, type LocalServer, type RecordedRequest } from '../http/local-server.ts';
import { runCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
const headersOf = (request: RecordedRequest) => ({
  'webhook-id': String(request.headers['webhook-id']),
  'webhook-timestamp': String(request.headers['webhook-timestamp']),
  'webhook-signature': String(request.headers['webhook-signature']),
});

describe('relayq webhooks on the command line', () => {
  let simulator: RunningSimulator;
  let receiver: LocalServer;
  let redis: Redis;
  const prefix = testPrefix('hookcli');
  const keys = createKeys(prefix);
  const dir = tempDir('relayq-hook-cli');
  const env = { REDIS_URL: testRedisUrl(), RELAYQ_SECRETS_KEY: 'an operator key of some length' };
  let config: string;
  let strictConfig: string;
  let file: string;

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 5 });
    receiver = await startLocalServer((_req, res) => void res.writeHead(200).end());
    redis = testRedis();
    const accounts = [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-cli' }];
    config = writeConfig(dir, {
      redis: { prefix },
      accounts,
      webhooks: { allowPrivateNetworks: true },
      secrets: { key: '${RELAYQ_SECRETS_KEY}' },
    });
    strictConfig = writeConfig(dir, { redis: { prefix }, accounts }, 'strict.yaml');
    file = writePromptFile(
      dir,
      Array.from({ length: 5 }, (_, i) => anthropicBatchLine(`p${i}`, promptText(i))),
    );
  });

  afterAll(async () => {
    await receiver.close();
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('run --webhook delivers before it exits; the secret verifies; status shows the delivery; secrets are encrypted at rest', async () => {
    const run = await runCli(['run', file, '-c', config, '--webhook', `${receiver.url}/run`, '-o', `${dir}/out.jsonl`], {
      env: { ...env, LOG_LEVEL: 'debug' },
      timeoutMs: 60_000,
    });
    expect(run.stderr).toContain('completed');
    expect(run.code).toBe(0);
    const deliveries = receiver.requests.filter((request) => request.url === '/run');
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0] as RecordedRequest;
    const secretRun = await runCli(['webhooks', 'secret', '-c', config], { env, timeoutMs: 30_000 });
    const secret = lastLine(secretRun.stdout);
    expect(secret).toMatch(/^whsec_/);
    const event = new Webhook(secret).verify(delivery.body, headersOf(delivery)) as { data: { id: string } };
    const batchId = event.data.id;

    // The worker logged the delivery at debug level, and nothing of the secret.
    expect(run.stderr).toContain('webhook delivered');
    expect(run.stderr).not.toContain(secret.slice('whsec_'.length));
    const stored = Object.values(await redis.hgetall(keys.webhookSecrets())).join('');
    expect(stored).toContain('gcm1.');
    expect(stored).not.toContain(secret.slice('whsec_'.length));

    const status = await runCli(['status', batchId, '-c', config], { env, timeoutMs: 30_000 });
    expect(status.stdout).toMatch(/webhooks .*batch\.completed/);
    expect(status.stdout).toContain(`${receiver.url}/run delivered (1 attempt, last answer 200)`);
    const json = await runCli(['status', batchId, '-c', config, '--json'], { env, timeoutMs: 30_000 });
    expect(json.stdout).not.toContain(secret.slice('whsec_'.length));
    expect(JSON.parse(json.stdout).webhook_events[0].deliveries[0].state).toBe('delivered');

    const log = await runCli(['webhooks', 'deliveries', '--batch', batchId, '-c', config], { env, timeoutMs: 30_000 });
    expect(log.stdout).toContain('#1');
    const failed = await runCli(['webhooks', 'deliveries', '--failed', '--json', '-c', config], { env, timeoutMs: 30_000 });
    expect(failed.stderr).toBe('');
    expect(JSON.parse(failed.stdout)).toEqual([]);

    // Without the key, the encrypted secret is a clear error, not a wrong signature.
    const keyless = writeConfig(dir, { redis: { prefix } }, 'keyless.yaml');
    const refused = await runCli(['webhooks', 'secret', '-c', keyless], { env, timeoutMs: 30_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('secrets.key');
  });

  it('refuses a private or metadata address at submit (exit 2) with the default config, making no batch', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://10.0.0.1/', 'http://[::ffff:127.0.0.1]/', 'ftp://example.com/']) {
      const before = await redis.zcard(keys.batches());
      const submit = await runCli(['submit', file, '-c', strictConfig, '--webhook', url], { env, timeoutMs: 30_000 });
      expect(submit.code, submit.stderr).toBe(2);
      expect(submit.stderr).toMatch(/relayq: webhook (address|URL)/);
      expect(await redis.zcard(keys.batches())).toBe(before);
    }
    const add = await runCli(['webhooks', 'add', 'http://127.0.0.1:9/x', '-c', strictConfig], { env, timeoutMs: 30_000 });
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('loopback address');
  });

  it("registered endpoints get their tenant's events; rotation signs twice; redeliver sends the same id", async () => {
    const add = await runCli(['webhooks', 'add', `${receiver.url}/acme`, '--tenant', 'acme', '--events', 'batch.completed', '-c', config], {
      env,
      timeoutMs: 30_000,
    });
    expect(add.code, add.stderr).toBe(0);
    const endpointId = lastLine(add.stdout);
    expect(endpointId).toMatch(/^we_/);
    const bad = await runCli(['webhooks', 'add', `${receiver.url}/x`, '--events', 'batch.done', '-c', config], { env, timeoutMs: 30_000 });
    expect(bad.code).toBe(2);
    const list = await runCli(['webhooks', 'list', '-c', config, '--json'], { env, timeoutMs: 30_000 });
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: endpointId, tenant: 'acme', events: ['batch.completed'] }]);

    const old = lastLine((await runCli(['webhooks', 'secret', '--tenant', 'acme', '-c', config], { env, timeoutMs: 30_000 })).stdout);
    const rotated = await runCli(['webhooks', 'secret', '--tenant', 'acme', '--rotate', '-c', config], { env, timeoutMs: 30_000 });
    const fresh = lastLine(rotated.stdout);
    expect(fresh).not.toBe(old);

    const parsed = parseConfig(
      {
        redis: { prefix },
        webhooks: { allowPrivateNetworks: true },
        secrets: { key: env.RELAYQ_SECRETS_KEY },
        accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-cli' }],
      },
      {},
    );
    const worker = await startWorker(parsed, testRedisUrl(), pino({ level: 'silent' }), jobTypes);
    try {
      const other = await runCli(['submit', file, '-c', config, '--tag', 'tenant=other'], { env, timeoutMs: 30_000 });
      const acme = await runCli(['submit', file, '-c', config, '--tag', 'tenant=acme'], { env, timeoutMs: 30_000 });
      expect(other.code).toBe(0);
      const acmeBatch = lastLine(acme.stdout);
      await until(() => receiver.requests.some((request) => request.url === '/acme'), 30_000, 'the endpoint delivery');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const atEndpoint = receiver.requests.filter((request) => request.url === '/acme');
      expect(atEndpoint).toHaveLength(1);
      const first = atEndpoint[0] as RecordedRequest;
      expect((JSON.parse(first.body) as { data: { id: string } }).data.id).toBe(acmeBatch);
      expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of [old, fresh]) expect(() => new Webhook(secret).verify(first.body, headersOf(first))).not.toThrow();

      const redeliver = await runCli(['webhooks', 'redeliver', String(first.headers['webhook-id']), '-c', config], {
        env,
        timeoutMs: 30_000,
      });
      expect(redeliver.code, redeliver.stderr).toBe(0);
      await until(() => receiver.requests.filter((request) => request.url === '/acme').length === 2, 30_000, 'the redelivery');
      const again = receiver.requests.filter((request) => request.url === '/acme')[1] as RecordedRequest;
      expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);

      // 410 Gone disables the endpoint.
      receiver.handle((req, res) => void res.writeHead(req.url === '/acme' ? 410 : 200).end());
      await runCli(['webhooks', 'redeliver', String(first.headers['webhook-id']), '-c', config], { env, timeoutMs: 30_000 });
      await until(() => receiver.requests.filter((request) => request.url === '/acme').length === 3, 30_000, 'the 410');
      let disabled = false;
      for (let i = 0; i < 40 && !disabled; i += 1) {
        const listed = JSON.parse((await runCli(['webhooks', 'list', '-c', config, '--json'], { env, timeoutMs: 30_000 })).stdout);
        disabled = listed[0].disabled_at !== null;
        if (!disabled) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(disabled).toBe(true);
    } finally {
      await worker.close();
    }
    const removed = await runCli(['webhooks', 'remove', endpointId, '-c', config], { env, timeoutMs: 30_000 });
    expect(removed.code).toBe(0);
    expect((await runCli(['webhooks', 'remove', endpointId, '-c', config], { env, timeoutMs: 30_000 })).code).toBe(5);
  });
});
