/**
 * Anthropic OAuth accounts against the simulator's token endpoint and Messages API, in process:
 * the refresh grant, the bearer token with the OAuth beta flag, a 401 to an expired token
 * answered with one refresh and the same call sent again, the endpoint's refusals and failures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { anthropicRequestHeaders } from '../../../src/providers/anthropic/api.ts';
import { AnthropicExecutor } from '../../../src/providers/anthropic/executor.ts';
import { localCredentialStore } from '../../../src/providers/shared/credentials.ts';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';

let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
  await closeDispatchers();
});

function oauthAccount(sim: RunningSimulator, refreshToken: string, tokenUrl = `${sim.url}/v1/oauth/token`): Account {
  return accountSchema.parse({ id: 'oauth-1', provider: 'anthropic', baseUrl: sim.url, oauth: { refreshToken, tokenUrl } });
}

const request = (prompt: string) => ({
  provider: 'anthropic' as const,
  model: 'claude-test',
  body: { model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: prompt }] },
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('anthropic oauth config', () => {
  it('fills the client id and token endpoint, and refuses oauth beside apiKey or authToken', () => {
    const parsed = accountSchema.parse({ id: 'a', provider: 'anthropic', oauth: { refreshToken: 'rt' } });
    expect(parsed).toMatchObject({
      oauth: {
        refreshToken: 'rt',
        clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
        tokenUrl: 'https://console.anthropic.com/v1/oauth/token',
      },
    });
    expect(() => accountSchema.parse({ id: 'a', provider: 'anthropic', apiKey: 'k', oauth: { refreshToken: 'rt' } })).toThrow(
      /sets both oauth and apiKey/,
    );
    expect(() => accountSchema.parse({ id: 'a', provider: 'anthropic', oauth: { refreshToken: 'rt', token: 'x' } })).toThrow();
  });

  it('sends OAuth tokens as a bearer with the oauth beta flag beside the account flags', () => {
    const headers = anthropicRequestHeaders({ anthropicBeta: ['a-flag'] }, { accessToken: 'tok' });
    expect(headers.authorization).toBe('Bearer tok');
    expect(headers['anthropic-beta']).toBe('a-flag,oauth-2025-04-20');
    expect(headers['x-api-key']).toBeUndefined();
    expect(anthropicRequestHeaders({ apiKey: 'k' })['anthropic-beta']).toBeUndefined();
  });
});

describe('anthropic oauth calls', () => {
  it('gets a token with the refresh grant and calls with it, JSON and streamed, refreshing once', async () => {
    simulator = await startSimulator({ tokens: { oauthRefreshTokens: ['rt-a'] } });
    const executor = new AnthropicExecutor({ accounts: () => [] });
    const account = oauthAccount(simulator, 'rt-a');
    expect((await executor.execute(request('one'), {}, account)).text).toBe(simulatedAnswer('one'));
    const streamed = await collectStream(executor.executeStream(request('two'), {}, account), 'anthropic');
    expect(streamed.text).toBe(simulatedAnswer('two'));
    const family = Object.values(simulator.tokens.stats())[0];
    expect(family?.issued).toBe(1);
    expect(family?.tokens[0]?.uses).toBe(2);
  });

  it('answers a 401 to an expired token with one refresh and sends the call again', async () => {
    simulator = await startSimulator({ tokens: { lifetimeSeconds: 1, oauthRefreshTokens: ['rt-b'] } });
    // The store believes its token is fresh for as long as the test says (its clock stands still).
    const started = Date.now();
    const executor = new AnthropicExecutor({ accounts: () => [], credentials: localCredentialStore(() => started) });
    const account = oauthAccount(simulator, 'rt-b');
    await executor.execute(request('first'), {}, account);
    const family = () => Object.values(simulator?.tokens.stats() ?? {})[0];
    const firstExpiry = family()?.tokens[0]?.expiresAt ?? 0;
    while (Date.now() <= firstExpiry) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await executor.execute(request('after expiry'), {}, account)).text).toBe(simulatedAnswer('after expiry'));
    expect(family()?.expiredUses).toBe(1);
    expect(family()?.issued).toBe(2);
    expect(family()?.reusedRefreshTokens).toBe(0);
  });

  it('fails as auth with the endpoint reason when the grant is revoked', async () => {
    simulator = await startSimulator({ tokens: { oauthRefreshTokens: ['rt-c'] } });
    simulator.tokens.revoke('rt-c');
    const executor = new AnthropicExecutor({ accounts: () => [] });
    const error = await failure(executor.execute(request('x'), {}, oauthAccount(simulator, 'rt-c')));
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'anthropic account "oauth-1": the credential refresh was refused: invalid_grant (Refresh token has been revoked)',
    );
    const unknown = await failure(executor.execute(request('x'), {}, oauthAccount(simulator, 'rt-never-issued')));
    expect(unknown.message).toContain('invalid_grant (Refresh token not found or invalid)');
    expect(simulator.stats().requests).toBe(0);
  });

  it('fails as retryable when the token endpoint cannot answer', async () => {
    simulator = await startSimulator({ tokens: { oauthRefreshTokens: ['rt-d'] } });
    const executor = new AnthropicExecutor({ accounts: () => [] });
    const error = await failure(executor.execute(request('x'), {}, oauthAccount(simulator, 'rt-d', `${simulator.url}/no-token-endpoint`)));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('the credential refresh failed');
    const stream = await collectStream(
      executor.executeStream(request('x'), {}, oauthAccount(simulator, 'rt-d', 'http://127.0.0.1:1/token')),
      'anthropic',
    ).catch((caught: unknown) => caught);
    expect(stream).toBeInstanceOf(ProviderError);
    expect((stream as ProviderError).kind).toBe('network');
  });
});
