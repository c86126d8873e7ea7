/**
 * The simulator's token endpoints over real HTTP, as their issuers answer: the OAuth refresh
 * grant with rotation (an old refresh token is refused and counted as reused), OAuth errors
 * (unsupported grant, no client), Google's JWT bearer grant refusing an unsigned assertion, the
 * container credentials and managed identity endpoints refusing a wrong secret header, Entra's
 * authority metadata naming its token endpoint.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';

let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({
    tokens: {
      lifetimeSeconds: 60,
      oauthRefreshTokens: ['rt-first'],
      googleServiceAccounts: [
        {
          clientEmail: 'sa@p.iam.gserviceaccount.com',
          publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
      ],
      awsContainerAuthorization: 'container-secret',
      azureIdentityHeader: 'identity-secret',
    },
  });
});
afterAll(async () => {
  await simulator.close();
});

async function post(path: string, body: string, type: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${simulator.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${simulator.url}${path}`, { headers });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('POST /v1/oauth/token', () => {
  it('rotates the refresh token and refuses the old one as invalid_grant', async () => {
    const grant = (refreshToken: string) =>
      post(
        '/v1/oauth/token',
        JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'c' }),
        'application/json',
      );
    const first = await grant('rt-first');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: 'user:inference' });
    expect(String(first.json.access_token)).toMatch(/^sim-at-/);
    const next = String(first.json.refresh_token);
    expect(next).not.toBe('rt-first');
    const reused = await grant('rt-first');
    expect(reused).toEqual({ status: 400, json: { error: 'invalid_grant', error_description: 'Refresh token has already been used' } });
    // A form body works too.
    const form = await post(
      '/v1/oauth/token',
      new URLSearchParams({ grant_type: 'refresh_token', refresh_token: next, client_id: 'c' }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(form.status).toBe(200);
    const family = Object.values(simulator.tokens.stats()).find((entry) => entry.tokens.length === 2);
    expect(family).toMatchObject({ issued: 2, reusedRefreshTokens: 1, refused: 1 });
  });

  it('answers OAuth errors for a wrong grant type and a missing client', async () => {
    expect(await post('/v1/oauth/token', JSON.stringify({ grant_type: 'password' }), 'application/json')).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
    expect(
      await post('/v1/oauth/token', JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }), 'application/json'),
    ).toMatchObject({
      status: 401,
      json: { error: 'invalid_client' },
    });
  });
});

describe('POST /token (Google)', () => {
  it('refuses an assertion that is not signed by the service account key', async () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      iss: 'sa@p.iam.gserviceaccount.com',
      aud: 'https://oauth2.googleapis.com/token',
      scope: 's',
      exp: Date.now() / 1000 + 60,
    };
    const assertion = `${part({ alg: 'none' })}.${part(claims)}.`;
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    expect(await post('/token', form, 'application/x-www-form-urlencoded')).toMatchObject({
      status: 400,
      json: { error: 'invalid_grant' },
    });
    expect(await post('/token', 'grant_type=client_credentials', 'application/x-www-form-urlencoded')).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
  });
});

describe('the credential endpoints of cloud hosts', () => {
  it('hands out AWS container credentials only with the authorization token', async () => {
    expect((await get('/_aws/credentials')).status).toBe(401);
    const answer = await get('/_aws/credentials', { authorization: 'container-secret' });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual(['AccessKeyId', 'Expiration', 'RoleArn', 'SecretAccessKey', 'Token']);
    expect(String(answer.json.AccessKeyId)).toMatch(/^ASIASIM/);
    expect(Date.parse(String(answer.json.Expiration))).toBeGreaterThan(Date.now());
  });

  it("serves App Service's managed identity endpoint with its header", async () => {
    const path = '/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fcognitiveservices.azure.com';
    expect((await get(path)).status).toBe(401);
    const answer = await get(path, { 'x-identity-header': 'identity-secret' });
    expect(answer.json).toMatchObject({ token_type: 'Bearer', resource: 'https://cognitiveservices.azure.com' });
    expect(Number(answer.json.expires_on)).toBeGreaterThan(Date.now() / 1000);
  });

  it("serves an Entra authority's metadata naming its token endpoint", async () => {
    const answer = await get('/my-tenant/v2.0/.well-known/openid-configuration');
    expect(answer.json.token_endpoint).toBe(`${simulator.url}/my-tenant/oauth2/v2.0/token`);
    expect(answer.json).toHaveProperty('issuer');
    expect(answer.json).toHaveProperty('jwks_uri');
    expect(answer.json).toHaveProperty('authorization_endpoint');
  });

  it('keeps token endpoint calls out of the provider stats', () => {
    expect(simulator.stats().requests).toBe(0);
  });
});
