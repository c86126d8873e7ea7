import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import type { Redis } from 'ioredis';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { readResultLines, type ResultRecord } from '../../src/batches/results.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';
import { makeTestCertificate } from '../helpers/tls.ts';

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const lifetimeSeconds = 10;
const secretKey = 'oauth-e2e-secret-key-0123456789';

/** One credential form under test: the simulator config it needs, the account, the prompt lines and how an answer reads. */
interface RefreshCase {
  name: string;
  simulator(): Promise<RunningSimulator>;
  account(simulator: RunningSimulator): Record<string, unknown>;
  line(n: number): string;
  answerText(record: ResultRecord): string | undefined;
  /** More environment for the workers. */
  env?(simulator: RunningSimulator): Record<string, string>;
}

/**
 * A batch of `total` prompts through three worker processes on one account whose credentials
 * expire every 10 s: every prompt succeeds, the token family saw no reused refresh token and no
 * refusal, and each token was replaced once, late in its life (gaps of at least half a life
 * between issues; three workers refreshing on their own would issue tokens milliseconds apart).
 */
function refreshCase(spec: RefreshCase, total = 3000): void {
  describe(`${spec.name} whose credentials expire every 10 s, three workers`, () => {
    let simulator: RunningSimulator;
    let redis: Redis;
    const prefix = testPrefix('refresh');

    beforeAll(async () => {
      simulator = await spec.simulator();
      redis = testRedis();
    });
    afterAll(async () => {
      await simulator.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });

    it('answers every prompt, with one refresh per expiry for all three workers', async () => {
      const dir = tempDir('relayq-refresh');
      const file = writePromptFile(
        dir,
        Array.from({ length: total }, (_, i) => spec.line(i)),
      );
      const account = spec.account(simulator);
      const config = writeConfig(dir, { redis: { prefix }, worker: { concurrency: 4 }, secrets: { key: secretKey }, accounts: [account] });
      const keys = createKeys(prefix);
      const queue = new PromptQueues(keys, testRedis());
      const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
      expect(report.accepted).toBe(total);
      const env = workerEnv(spec.env?.(simulator));
      const workers = Array.from({ length: 3 }, () => spawnCli(['worker', '-c', config], { env }));
      const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
      try {
        await until(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed', 240_000, 'the batch to complete');
      } finally {
        for (const worker of workers) worker.kill('SIGTERM');
        await Promise.all(exits);
        await queue.close();
      }

      const batch = await getBatch(redis, keys, report.batchId);
      expect(batch?.counts).toEqual({ total, succeeded: total, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
      let checked = 0;
      for await (const line of readResultLines(redis, keys, report.batchId)) {
        const record = JSON.parse(line) as ResultRecord;
        expect(spec.answerText(record)).toBe(simulatedAnswer(promptText(Number(/\d+$/.exec(record.custom_id)?.[0]))));
        checked += 1;
      }
      expect(checked).toBe(total);

      const families = Object.values(simulator.tokens.stats());
      expect(families).toHaveLength(1);
      const family = families[0];
      if (family === undefined) throw new Error('no token family');
      // Every refresh used the newest refresh token (where there is one): no worker raced another.
      expect(family.reusedRefreshTokens).toBe(0);
      expect(family.refused).toBe(0);
      // The batch outlived several tokens, and each token was replaced once, late in its life.
      expect(family.issued).toBeGreaterThanOrEqual(3);
      const tokens = family.tokens;
      for (let i = 1; i < tokens.length; i += 1) {
        const gap = (tokens[i]?.issuedAt ?? 0) - (tokens[i - 1]?.issuedAt ?? 0);
        expect(gap).toBeGreaterThanOrEqual((lifetimeSeconds * 1000) / 2);
      }
      // No token was issued in vain: each carried calls; and every call carried one of them (a
      // call that reached the simulator after its token expired was answered 401 and sent again).
      for (const token of tokens) expect(token.uses).toBeGreaterThan(0);
      expect(tokens.reduce((sum, token) => sum + token.uses, 0) + family.expiredUses).toBe(simulator.stats().requests);

      // The current credential is kept in Redis, encrypted with secrets.key.
      const [credentialKey] = await redis.keys(`{${prefix}}:credential:${String(account.id)}:*`);
      const stored = credentialKey === undefined ? '' : ((await redis.get(credentialKey)) ?? '');
      expect(stored.startsWith('gcm1.')).toBe(true);
      expect(stored).not.toMatch(/sim-|ya29|ASIA/);
    }, 150_000);
  });
}

/**
 * The workers' environment: the test Redis, and nothing that would send the AWS credential
 * chain off this machine (no instance metadata, no AWS keys or profiles of the machine's).
 */
function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const nowhere = join(tempDir('relayq-no-aws'), 'none');
  const cleared = Object.fromEntries(
    [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_BEARER_TOKEN_BEDROCK',
      'AWS_ROLE_ARN',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
    ].map((name) => [name, '']),
  );
  return {
    REDIS_URL: testRedisUrl(),
    ...cleared,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    ...extra,
  };
}

// The cases run side by side: each has its own simulator, prefix and workers, and mostly waits on latency.
describe.concurrent('credentials that expire, each case on its own simulator', () => {
  refreshCase({
    name: 'a Bedrock account on ECS container credentials',
    simulator: () => startSimulator({ latencyMs: 100, tokens: { lifetimeSeconds, awsContainerAuthorization: 'relayq-container-token' } }),
    account: (simulator) => ({
      id: 'claude-on-aws',
      provider: 'bedrock',
      baseUrl: simulator.url,
      region: 'us-east-1',
      credentialChain: true,
    }),
    env: (simulator) => ({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${simulator.url}/_aws/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'relayq-container-token',
    }),
    line: (n) =>
      JSON.stringify({
        custom_id: `b${n}`,
        provider: 'bedrock',
        model: 'anthropic.claude-haiku-4-5-20251001-v1:0',
        body: { max_tokens: 200, messages: [{ role: 'user', content: promptText(n) }] },
      }),
    answerText: (record) => anthropicAnswer(record),
  });

  const certificate = makeTestCertificate();

  refreshCase({
    name: 'an Azure OpenAI account with Entra ID client credentials',
    // Entra's client takes https:// authorities only: the simulator serves TLS, the workers trust its certificate.
    simulator: () =>
      startSimulator(
        {
          latencyMs: 100,
          tokens: { lifetimeSeconds, entraClients: [{ tenantId: 'relayq-tenant', clientId: 'relayq-app', clientSecret: 'app-secret' }] },
        },
        { tls: { key: certificate.key, cert: certificate.cert } },
      ),
    account: (simulator) => ({
      id: 'azure-entra',
      provider: 'azure-openai',
      baseUrl: simulator.url,
      deployments: { 'gpt-4o-mini': 'batch-deployment' },
      entra: { tenantId: 'relayq-tenant', clientId: 'relayq-app', clientSecret: 'app-secret', authorityHost: simulator.url },
    }),
    env: () => ({ NODE_EXTRA_CA_CERTS: certificate.certPath }),
    line: (n) =>
      JSON.stringify({
        custom_id: `z${n}`,
        provider: 'azure-openai',
        model: 'gpt-4o-mini',
        body: { messages: [{ role: 'user', content: promptText(n) }], max_completion_tokens: 200 },
      }),
    answerText: (record) => chatAnswer(record),
  });

  const anthropicAnswer = (record: ResultRecord): string | undefined =>
    (record.response?.body as { content: { text: string }[] }).content[0]?.text;
  const chatAnswer = (record: ResultRecord): string | undefined =>
    (record.response?.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content;

  refreshCase({
    name: 'an Anthropic OAuth account',
    // 100 ms a call and 4 calls in flight per worker: the batch lasts at least 25 s, several token lives.
    simulator: () => startSimulator({ latencyMs: 100, tokens: { lifetimeSeconds, oauthRefreshTokens: ['sim-rt-initial-grant'] } }),
    account: (simulator) => ({
      id: 'claude-oauth',
      provider: 'anthropic',
      baseUrl: simulator.url,
      oauth: { refreshToken: 'sim-rt-initial-grant', tokenUrl: `${simulator.url}/v1/oauth/token` },
    }),
    line: (n) => anthropicBatchLine(`o${n}`, promptText(n)),
    answerText: anthropicAnswer,
  });

  /** A service account of the test's own: its key pair made here, the simulator trusting its public key. */
  const serviceAccount = (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      clientEmail: 'relayq-batch@relayq-test.iam.gserviceaccount.com',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  })();

  refreshCase({
    name: 'a Vertex AI account with a service account key file',
    simulator: () =>
      startSimulator({
        latencyMs: 100,
        tokens: {
          lifetimeSeconds,
          googleServiceAccounts: [{ clientEmail: serviceAccount.clientEmail, publicKey: serviceAccount.publicKey }],
        },
      }),
    account: (simulator) => {
      const keyFile = join(tempDir('relayq-sa'), 'service-account.json');
      writeFileSync(
        keyFile,
        JSON.stringify({
          type: 'service_account',
          project_id: 'relayq-test',
          private_key_id: 'k1',
          private_key: serviceAccount.privateKey,
          client_email: serviceAccount.clientEmail,
          client_id: '1234567890',
          token_uri: `${simulator.url}/token`,
        }),
      );
      return {
        id: 'vertex-sa',
        provider: 'gemini',
        baseUrl: `${simulator.url}/v1/projects/relayq-test/locations/us-central1/publishers/google`,
        googleAuth: { keyFile },
      };
    },
    line: (n) =>
      JSON.stringify({
        custom_id: `g${n}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: promptText(n) }], max_completion_tokens: 200 },
      }),
    answerText: chatAnswer,
  });

  describe('a refresh token revoked mid-batch', () => {
    let simulator: RunningSimulator;
    let redis: Redis;
    const prefix = testPrefix('revoke');

    beforeAll(async () => {
      simulator = await startSimulator({ latencyMs: 20, tokens: { lifetimeSeconds: 3600, oauthRefreshTokens: ['sim-rt-to-revoke'] } });
      redis = testRedis();
    });
    afterAll(async () => {
      await simulator.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });

    it('disables the account with the reason, and the batch finishes on the other account', async () => {
      const dir = tempDir('relayq-revoke');
      const total = 1500;
      const file = writePromptFile(
        dir,
        Array.from({ length: total }, (_, i) => anthropicBatchLine(`r${i}`, promptText(i))),
      );
      const config = writeConfig(dir, {
        redis: { prefix },
        worker: { concurrency: 8 },
        accounts: [
          {
            id: 'claude-oauth',
            provider: 'anthropic',
            baseUrl: simulator.url,
            priority: 1,
            oauth: { refreshToken: 'sim-rt-to-revoke', tokenUrl: `${simulator.url}/v1/oauth/token` },
          },
          { id: 'claude-key', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-other-account' },
        ],
      });
      const keys = createKeys(prefix);
      const queue = new PromptQueues(keys, testRedis());
      const report = await submitFile(redis, queue, keys, file, { attempts: 5 });
      const workers = Array.from({ length: 2 }, () => spawnCli(['worker', '-c', config], { env: { REDIS_URL: testRedisUrl() } }));
      const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
      const family = () => Object.values(simulator.tokens.stats())[0];
      try {
        // The OAuth account (the higher priority) is in use; then its grant is revoked.
        await until(() => (family()?.tokens[0]?.uses ?? 0) >= 100, 60_000, 'calls on the OAuth account');
        simulator.tokens.revoke('sim-rt-to-revoke');
        await until(async () => (await getBatch(redis, keys, report.batchId))?.status === 'completed', 120_000, 'the batch to complete');
      } finally {
        for (const worker of workers) worker.kill('SIGTERM');
        await Promise.all(exits);
        await queue.close();
      }

      const batch = await getBatch(redis, keys, report.batchId);
      expect(batch?.counts).toEqual({ total, succeeded: total, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
      // The token endpoint was asked once after the revocation: the refusal is shared by both workers.
      expect(family()?.refused).toBe(1);
      expect(family()?.issued).toBe(1);
      const byAccount = new Map<string, number>();
      for await (const line of readResultLines(redis, keys, report.batchId)) {
        const record = JSON.parse(line) as ResultRecord;
        byAccount.set(record.account ?? '', (byAccount.get(record.account ?? '') ?? 0) + 1);
      }
      expect(byAccount.get('claude-oauth')).toBeGreaterThanOrEqual(100);
      expect(byAccount.get('claude-key')).toBeGreaterThan(0);

      const listed = await runCli(['accounts', 'list', '--json', '-c', config], { env: { REDIS_URL: testRedisUrl() } });
      expect(listed.code).toBe(0);
      const accounts = JSON.parse(listed.stdout) as { accounts: { id: string; health: { status: string; reason: string | null } }[] };
      const oauth = accounts.accounts.find((account) => account.id === 'claude-oauth');
      expect(oauth?.health.status).toBe('disabled');
      expect(oauth?.health.reason).toContain('invalid_grant (Refresh token has been revoked)');
      expect(accounts.accounts.find((account) => account.id === 'claude-key')?.health.status).toBe('ok');
    }, 150_000);
  });
});
