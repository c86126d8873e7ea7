/**
 * Proxies from the environment: an account without `proxy` goes through HTTP_PROXY / HTTPS_PROXY
 * (undici's EnvHttpProxyAgent), NO_PROXY hosts and `proxy: none` go direct, an account's own
 * proxy wins. Proven by the counters of real proxies on loopback, one of them a TLS proxy whose
 * certificate the test makes; the https:// case runs in a process of its own, which trusts that
 * certificate through NODE_EXTRA_CA_CERTS as a person behind such a proxy would.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeDispatchers, environmentProxies } from '../../src/http/dispatchers.ts';
import { accountSchema } from '../../src/config/schema.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startHttpProxy, type RunningHttpProxy } from '../helpers/proxies.ts';
import { makeTestCertificate } from '../helpers/tls.ts';
import { call, failureOf, promptRequest, testAccount } from './anthropic-client.ts';

let simulator: RunningSimulator;
let proxy: RunningHttpProxy | undefined;
let other: RunningHttpProxy | undefined;

beforeAll(async () => {
  simulator = await startSimulator();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await closeDispatchers();
  await proxy?.close();
  await other?.close();
  proxy = undefined;
  other = undefined;
  simulator.reset();
});
afterAll(async () => {
  await simulator.close();
});

/** Sets the proxy variables for this test only (both spellings cleared first). */
function proxyEnvironment(values: Record<string, string>): void {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    vi.stubEnv(name, '');
    vi.stubEnv(name.toLowerCase(), '');
  }
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}

const prompt = 'hello through the environment';

describe('environmentProxies', () => {
  it('reads both spellings, the lower-case one first, and ignores empty values', () => {
    expect(environmentProxies({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', HTTP_PROXY: ' ', NO_PROXY: 'x.example' })).toEqual({
      httpsProxy: 'http://b:2',
      noProxy: 'x.example',
    });
    expect(environmentProxies({})).toEqual({});
  });
});

describe('HTTP_PROXY, NO_PROXY and proxy: none', () => {
  it('sends an account without proxy through HTTP_PROXY and gets the simulator answer', async () => {
    proxy = await startHttpProxy();
    proxyEnvironment({ HTTP_PROXY: proxy.url() });
    const result = await call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url }));
    expect(result.text).toBe(simulatedAnswer(prompt));
    expect(proxy.stats.tunnels).toBe(1);
    expect(proxy.stats.targets).toEqual([`127.0.0.1:${simulator.port}`]);
  });

  it('takes http_proxy over HTTP_PROXY', async () => {
    proxy = await startHttpProxy();
    other = await startHttpProxy();
    proxyEnvironment({ HTTP_PROXY: other.url(), http_proxy: proxy.url() });
    await call('executeStream', promptRequest(prompt), testAccount({ baseUrl: simulator.url }));
    expect(proxy.stats.tunnels).toBe(1);
    expect(other.stats.connections).toBe(0);
  });

  it('goes direct to a host NO_PROXY names (with and without its port)', async () => {
    proxy = await startHttpProxy();
    for (const noProxy of ['127.0.0.1', `127.0.0.1:${simulator.port}`, 'example.com, 127.0.0.1']) {
      await closeDispatchers();
      proxyEnvironment({ HTTP_PROXY: proxy.url(), NO_PROXY: noProxy });
      const result = await call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url }));
      expect(result.text).toBe(simulatedAnswer(prompt));
    }
    expect(proxy.stats.connections).toBe(0);
    // Another port of the same host is still proxied.
    await closeDispatchers();
    proxyEnvironment({ HTTP_PROXY: proxy.url(), NO_PROXY: `127.0.0.1:${simulator.port + 1}` });
    await call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url }));
    expect(proxy.stats.tunnels).toBe(1);
  });

  it('goes direct for an account with proxy: none', async () => {
    proxy = await startHttpProxy();
    proxyEnvironment({ HTTP_PROXY: proxy.url() });
    const result = await call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url, proxy: 'none' }));
    expect(result.text).toBe(simulatedAnswer(prompt));
    expect(proxy.stats.connections).toBe(0);
  });

  it("uses an account's own proxy over the environment's", async () => {
    proxy = await startHttpProxy();
    other = await startHttpProxy();
    proxyEnvironment({ HTTP_PROXY: other.url() });
    await call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url, proxy: proxy.url() }));
    expect(proxy.stats.tunnels).toBe(1);
    expect(other.stats.connections).toBe(0);
  });

  it('refuses a proxy variable that is not an http(s) URL, naming the variable', async () => {
    proxyEnvironment({ HTTP_PROXY: 'socks5://127.0.0.1:1080' });
    const error = await failureOf(call('execute', promptRequest(prompt), testAccount({ baseUrl: simulator.url })));
    expect(error.message).toMatch(/HTTP_PROXY environment variable must be an http:\/\/ or https:\/\/ URL/);
  });

  it('takes proxy: none in the config and still checks other proxy values', () => {
    const base = { id: 'a', provider: 'anthropic', apiKey: 'k' };
    expect(accountSchema.parse({ ...base, proxy: 'none' }).proxy).toBe('none');
    expect(() => accountSchema.parse({ ...base, proxy: 'nothing' })).toThrow(/must be a URL/);
  });
});

describe('HTTPS_PROXY through a TLS proxy', () => {
  const { key, cert, certPath } = makeTestCertificate();
  const tls = { key, cert };

  it('tunnels through an https:// proxy the process trusts', async () => {
    proxy = await startHttpProxy({ tls });
    expect(proxy.url()).toMatch(/^https:\/\//);
    const answer = await runCall(simulator.url, { HTTP_PROXY: proxy.url(), HTTPS_PROXY: proxy.url(), NODE_EXTRA_CA_CERTS: certPath });
    expect(answer).toEqual({ text: simulatedAnswer('through the proxy of the environment') });
    expect(proxy.stats.tunnels).toBe(1);
    expect(proxy.stats.targets).toEqual([`127.0.0.1:${simulator.port}`]);
  });

  it('fails as a network error when the proxy certificate is not trusted', async () => {
    proxy = await startHttpProxy({ tls });
    const answer = await runCall(simulator.url, { HTTP_PROXY: proxy.url() });
    expect(answer).toMatchObject({ error: { kind: 'network' } });
    expect(proxy.stats.tunnels).toBe(0);
    expect(simulator.stats().requests).toBe(0);
  });

  it('goes direct with proxy: none even then', async () => {
    proxy = await startHttpProxy({ tls });
    const answer = await runCall(simulator.url, { HTTP_PROXY: proxy.url() }, 'none');
    expect(answer).toEqual({ text: simulatedAnswer('through the proxy of the environment') });
    expect(proxy.stats.connections).toBe(0);
  });
});

/** Runs env-proxy-call.ts in a process of its own with the given proxy variables (and no others). */
function runCall(baseUrl: string, env: Record<string, string>, accountProxy?: string): Promise<unknown> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'NODE_EXTRA_CA_CERTS']) {
    delete childEnv[name];
    delete childEnv[name.toLowerCase()];
  }
  Object.assign(childEnv, env);
  const args = [
    resolve('bin/run-ts.js'),
    resolve('test/http/env-proxy-call.ts'),
    baseUrl,
    ...(accountProxy === undefined ? [] : [accountProxy]),
  ];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      if (code !== 0) fail(new Error(`env-proxy-call.ts exited ${code}: ${stderr}`));
      else done(JSON.parse(stdout));
    });
  });
}
