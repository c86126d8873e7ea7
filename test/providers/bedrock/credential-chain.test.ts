/**
 * Bedrock accounts on the AWS default credential chain, in process: the container credentials
 * endpoint of the simulator (loopback only; instance metadata disabled, no keys or profiles of
 * the machine's), SigV4 with the keys it hands out, an ExpiredTokenException answered with fresh
 * keys and the call sent again, and a chain that finds nothing.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { BedrockExecutor } from '../../../src/providers/bedrock/executor.ts';
import { localCredentialStore } from '../../../src/providers/shared/credentials.ts';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { tempDir } from '../../helpers/files.ts';

let simulator: RunningSimulator | undefined;

beforeEach(() => {
  const nowhere = join(tempDir('relayq-no-aws'), 'none');
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', nowhere);
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', nowhere);
  vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', '');
  vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', '');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await simulator?.close();
  simulator = undefined;
  await closeDispatchers();
});

function chainAccount(sim: RunningSimulator): Account {
  return accountSchema.parse({ id: 'aws-chain', provider: 'bedrock', baseUrl: sim.url, region: 'us-east-1', credentialChain: true });
}

const request = (prompt: string) => ({
  provider: 'bedrock' as const,
  model: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  body: { max_tokens: 100, messages: [{ role: 'user', content: prompt }] },
});

describe('credentialChain config', () => {
  it('takes true or a profile, and refuses keys beside it', () => {
    const base = { id: 'b', provider: 'bedrock', region: 'us-east-1' };
    expect(accountSchema.parse({ ...base, credentialChain: { profile: 'prod' } })).toMatchObject({ credentialChain: { profile: 'prod' } });
    expect(() => accountSchema.parse({ ...base, credentialChain: true, accessKeyId: 'AKIA', secretAccessKey: 's' })).toThrow(
      /sets both credentialChain and accessKeyId, secretAccessKey/,
    );
    expect(() => accountSchema.parse({ ...base, credentialChain: false })).toThrow();
  });
});

describe('the container credentials endpoint', () => {
  it('signs with the keys it hands out, and fetches new ones when Bedrock says they expired', async () => {
    simulator = await startSimulator({ tokens: { lifetimeSeconds: 2, awsContainerAuthorization: 'container-token' } });
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', `${simulator.url}/_aws/credentials`);
    vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'container-token');
    // The store believes the keys are fresh for as long as the test says (its clock stands still).
    const started = Date.now();
    const executor = new BedrockExecutor({ accounts: () => [], credentials: localCredentialStore(() => started) });
    const account = chainAccount(simulator);
    expect((await executor.execute(request('on container keys'), {}, account)).text).toBe(simulatedAnswer('on container keys'));
    const family = () => simulator?.tokens.stats()['aws:container'];
    const expiry = family()?.tokens[0]?.expiresAt ?? 0;
    while (Date.now() <= expiry) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await executor.execute(request('after expiry'), {}, account)).text).toBe(simulatedAnswer('after expiry'));
    expect(family()?.expiredUses).toBe(1);
    expect(family()?.issued).toBe(2);
  });

  it('fails as auth with the chain reason when it finds no credentials', async () => {
    simulator = await startSimulator({ tokens: { awsContainerAuthorization: 'container-token' } });
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', `${simulator.url}/_aws/credentials`);
    vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'a-wrong-token');
    const executor = new BedrockExecutor({ accounts: () => [] });
    const error = await executor.execute(request('x'), {}, chainAccount(simulator)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as ProviderError).message).toMatch(
      /^bedrock account "aws-chain": the credential refresh was refused: the AWS credential chain found no credentials: /,
    );
    expect(simulator.stats().requests).toBe(0);
  });
});
