/**
 * Azure OpenAI accounts with Entra ID client credentials (@azure/identity) against the
 * simulator's Entra endpoints over HTTPS, in a process of its own that trusts the test's
 * certificate and connects to loopback addresses only (entra-call.ts): the token and its use, a
 * 401 to an expired token answered with a new one, a wrong secret refused with Entra's reason.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSchema } from '../../../src/config/schema.ts';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { makeTestCertificate } from '../../helpers/tls.ts';

let simulator: RunningSimulator;
const certificate = makeTestCertificate();

beforeAll(async () => {
  simulator = await startSimulator(
    {
      tokens: {
        lifetimeSeconds: 2,
        entraClients: [{ tenantId: 'relayq-tenant', clientId: 'relayq-app', clientSecret: 'the-client-secret' }],
      },
    },
    { tls: { key: certificate.key, cert: certificate.cert } },
  );
});
afterAll(async () => {
  await simulator.close();
});

describe('entra config', () => {
  it('takes client credentials or a managed identity, and refuses them beside an apiKey', () => {
    const base = { id: 'az', provider: 'azure-openai', baseUrl: 'https://r.openai.azure.com' };
    const entra = { tenantId: 't', clientId: 'c', clientSecret: 's' };
    expect(accountSchema.parse({ ...base, entra })).toMatchObject({ entra });
    expect(accountSchema.parse({ ...base, entra: { managedIdentity: { clientId: 'u' } } })).toMatchObject({
      entra: { managedIdentity: { clientId: 'u' } },
    });
    expect(() => accountSchema.parse({ ...base, entra, apiKey: 'k' })).toThrow(/sets both entra and apiKey/);
    expect(() => accountSchema.parse({ ...base, entra: { tenantId: 't', clientId: 'c' } })).toThrow(/missing: clientSecret/);
    expect(() => accountSchema.parse({ ...base, entra: { ...entra, managedIdentity: true } })).toThrow(/either managedIdentity/);
  });
});

describe('Entra ID client credentials', () => {
  it('gets a token, uses it, replaces it after a 401, and reports a wrong secret as auth', async () => {
    const outcome = (await runEntraCall(simulator.url)) as Record<string, { text?: string; error?: { kind: string; message: string } }>;
    expect(outcome.first).toEqual({ text: simulatedAnswer('first entra call') });
    expect(outcome.second).toEqual({ text: simulatedAnswer('second entra call') });
    expect(outcome.afterExpiry).toEqual({ text: simulatedAnswer('after expiry') });
    expect(outcome.badSecret?.error?.kind).toBe('auth');
    expect(outcome.badSecret?.error?.message).toMatch(
      /^azure-openai account "azure-entra": the credential refresh was refused: .*AADSTS7000215: Invalid client secret provided/,
    );
    // The host's managed identity (App Service's endpoint, named by IDENTITY_ENDPOINT and IDENTITY_HEADER).
    expect(outcome.managedIdentity).toEqual({ text: simulatedAnswer('managed identity call') });
    expect(simulator.tokens.stats()['entra:managed-identity']?.tokens[0]?.uses).toBe(1);
    const family = simulator.tokens.stats()['entra:relayq-tenant/relayq-app'];
    expect(family?.issued).toBe(2);
    expect(family?.expiredUses).toBe(1);
    expect(family?.tokens.map((token) => token.uses)).toEqual([2, 1]);
  });
});

function runEntraCall(url: string): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
    IDENTITY_ENDPOINT: `${url}/msi/token`,
    IDENTITY_HEADER: 'identity-header-secret',
  };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[name];
  const args = [resolve('bin/run-ts.js'), resolve('test/providers/azure-openai/entra-call.ts'), url];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? done(JSON.parse(stdout)) : fail(new Error(`entra-call.ts exited ${code}: ${stderr}`))));
  });
}

describe('the loopback guard of the child process', () => {
  it('lets loopback connections through and stops any other before it starts', async () => {
    const { staysLocal } = await import('../../helpers/loopback-target.ts');
    expect(staysLocal([{ host: '127.0.0.1', port: 1 }])).toBe(true);
    expect(staysLocal([{ host: '::1', port: 1 }])).toBe(true);
    expect(staysLocal([{ path: '/tmp/socket' }])).toBe(true);
    expect(staysLocal([443, 'localhost'])).toBe(true);
    expect(staysLocal([{ host: 'login.microsoftonline.com', port: 443 }])).toBe(false);
    expect(staysLocal([80, '169.254.169.254'])).toBe(false);
    expect(staysLocal([{ host: '10.0.0.1', port: 443 }])).toBe(false);
  });
});
