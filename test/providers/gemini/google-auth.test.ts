/**
 * Gemini / Vertex accounts with a service account key file, in process against the simulator's
 * Google token endpoint (which verifies the JWT assertion's signature with the key's public half):
 * the token and its use, a key the endpoint does not trust, a key file that cannot be read.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { GeminiExecutor } from '../../../src/providers/gemini/executor.ts';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { tempDir } from '../../helpers/files.ts';

const clientEmail = 'batch@relayq-test.iam.gserviceaccount.com';
const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const untrusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: typeof trusted.privateKey): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
  await closeDispatchers();
});

async function start(): Promise<RunningSimulator> {
  simulator = await startSimulator({
    tokens: { googleServiceAccounts: [{ clientEmail, publicKey: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString() }] },
  });
  return simulator;
}

function keyFile(sim: RunningSimulator, privateKey: string): string {
  const file = join(tempDir('relayq-sa'), 'key.json');
  writeFileSync(
    file,
    JSON.stringify({ type: 'service_account', client_email: clientEmail, private_key: privateKey, token_uri: `${sim.url}/token` }),
  );
  return file;
}

function vertexAccount(sim: RunningSimulator, file: string): Account {
  return accountSchema.parse({
    id: 'vertex-1',
    provider: 'gemini',
    baseUrl: `${sim.url}/v1/projects/p/locations/us-central1/publishers/google`,
    googleAuth: { keyFile: file },
  });
}

const request = (prompt: string) => ({
  provider: 'gemini' as const,
  model: 'gemini-2.5-flash',
  body: { contents: [{ role: 'user', parts: [{ text: prompt }] }] },
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

describe('googleAuth config', () => {
  it('takes keyFile or adc, not both and not neither, and not beside an apiKey', () => {
    const base = { id: 'g', provider: 'gemini' };
    expect(accountSchema.parse({ ...base, googleAuth: { adc: true } })).toMatchObject({
      googleAuth: { adc: true, scopes: ['https://www.googleapis.com/auth/cloud-platform'] },
    });
    expect(() => accountSchema.parse({ ...base, googleAuth: {} })).toThrow(/either keyFile/);
    expect(() => accountSchema.parse({ ...base, googleAuth: { adc: true, keyFile: 'k.json' } })).toThrow(/either keyFile/);
    expect(() => accountSchema.parse({ ...base, apiKey: 'k', googleAuth: { adc: true } })).toThrow(/sets both googleAuth and apiKey/);
  });
});

describe('a service account key file', () => {
  it('gets a token from the key file token_uri and calls Vertex with it', async () => {
    const sim = await start();
    const executor = new GeminiExecutor({ accounts: () => [] });
    const account = vertexAccount(sim, keyFile(sim, pem(trusted.privateKey)));
    expect((await executor.execute(request('hello vertex'), {}, account)).text).toBe(simulatedAnswer('hello vertex'));
    expect((await executor.execute(request('again'), {}, account)).text).toBe(simulatedAnswer('again'));
    const family = sim.tokens.stats()[`google:${clientEmail}`];
    expect(family?.issued).toBe(1);
    expect(family?.tokens[0]?.uses).toBe(2);
  });

  it('fails as auth with the endpoint reason when the key is not the service account key', async () => {
    const sim = await start();
    const executor = new GeminiExecutor({ accounts: () => [] });
    const error = await failure(executor.execute(request('x'), {}, vertexAccount(sim, keyFile(sim, pem(untrusted.privateKey)))));
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('gemini account "vertex-1": the credential refresh was refused: invalid_grant (Invalid JWT Signature.)');
    expect(sim.stats().requests).toBe(0);
  });

  it('fails as auth naming the file when it cannot be read or is no key file', async () => {
    const sim = await start();
    const executor = new GeminiExecutor({ accounts: () => [] });
    const missing = await failure(executor.execute(request('x'), {}, vertexAccount(sim, '/nonexistent/key.json')));
    expect(missing.message).toContain('cannot read the service account key file /nonexistent/key.json (ENOENT)');
    const notKey = join(tempDir('relayq-sa'), 'not-a-key.json');
    writeFileSync(notKey, '{"type": "authorized_user"}');
    const wrong = await failure(executor.execute(request('x'), {}, vertexAccount(sim, notKey)));
    expect(wrong.message).toContain('is not a service account key file');
  });
});

describe('Application Default Credentials', () => {
  it('finds the key file GOOGLE_APPLICATION_CREDENTIALS names and sends its grant to tokenUrl', async () => {
    const sim = await start();
    const file = keyFile(sim, pem(trusted.privateKey));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GOOGLE_APPLICATION_CREDENTIALS: file,
      GCE_METADATA_HOST: '127.0.0.1:1',
      NO_GCE_CHECK: 'true',
    };
    const args = [resolve('bin/run-ts.js'), resolve('test/providers/gemini/adc-call.ts'), sim.url];
    const answer = await new Promise<unknown>((done, fail) => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', fail);
      child.once('close', (code) => (code === 0 ? done(JSON.parse(stdout)) : fail(new Error(`adc-call.ts exited ${code}: ${stderr}`))));
    });
    expect(answer).toEqual({ text: simulatedAnswer('through ADC') });
    expect(sim.tokens.stats()[`google:${clientEmail}`]?.tokens[0]?.uses).toBe(1);
  });
});
