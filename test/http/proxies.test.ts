/**
 * Per-account proxies, proven by the counters of real proxies on loopback: requests of an
 * Anthropic account with `proxy:` go through the proxy to the simulator and come back with the
 * simulator's answers.
 */
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cachedDispatcherCount, closeDispatchers } from '../../src/http/dispatchers.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import {
  startHttpProxy,
  startSocks5Proxy,
  type ProxyCredentials,
  type RunningHttpProxy,
  type RunningSocks5Proxy,
} from '../helpers/proxies.ts';
import { call, connectionReturned, deadPort, failureOf, promptRequest, testAccount, type CallMode } from './anthropic-client.ts';

/** Whether this machine can listen on the IPv6 loopback; the IPv6 tests are reported skipped, not passed, without it. */
const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

// Characters that must be percent-encoded in a URL, to prove they are decoded before use.
const credentials: ProxyCredentials = { username: 'relayq-user', password: 'pa:ss/w@rd' };
const wrongPassword = 'wrong-Pa55word';
const modes: CallMode[] = ['execute', 'executeStream'];

let simulator: RunningSimulator;
let simulatorOnLocalhost: RunningSimulator;
let httpProxy: RunningHttpProxy | undefined;
let socksProxy: RunningSocks5Proxy | undefined;

beforeAll(async () => {
  simulator = await startSimulator();
  // Where "localhost" resolves on this machine, so both local and remote DNS find it.
  simulatorOnLocalhost = await startSimulator({}, { host: (await lookup('localhost')).address });
});
afterEach(async () => {
  await closeDispatchers();
  await httpProxy?.close();
  await socksProxy?.close();
  httpProxy = undefined;
  socksProxy = undefined;
  simulator.reset();
  simulatorOnLocalhost.reset();
});
afterAll(async () => {
  await simulator.close();
  await simulatorOnLocalhost.close();
});

describe('http:// proxy (CONNECT tunnels)', () => {
  it.each(modes)('%s goes through the proxy to the simulator and gets its answer', async (mode) => {
    httpProxy = await startHttpProxy({ auth: credentials });
    const account = testAccount({ baseUrl: simulator.url, proxy: httpProxy.url() });
    const prompt = `Through the HTTP proxy (${mode})`;

    const result = await call(mode, promptRequest(prompt), account);

    expect(result.text).toBe(simulatedAnswer(prompt));
    expect(httpProxy.stats.tunnels).toBe(1);
    expect(httpProxy.stats.targets).toEqual([`127.0.0.1:${simulator.port}`]);
    expect(httpProxy.stats.rejectedAuth).toBe(0);
    expect(simulator.stats().byStatus).toEqual({ '200': 1 });
  });

  it('reuses one dispatcher and one tunnel for the accounts sharing a proxy', async () => {
    httpProxy = await startHttpProxy({ auth: credentials });
    const first = testAccount({ id: 'first', apiKey: 'key-first', baseUrl: simulator.url, proxy: httpProxy.url() });
    const second = testAccount({ id: 'second', apiKey: 'key-second', baseUrl: simulator.url, proxy: httpProxy.url() });

    for (const [index, account] of [first, second, first, second].entries()) {
      const prompt = `request ${index}`;
      const mode: CallMode = index % 2 === 0 ? 'execute' : 'executeStream';
      expect((await call(mode, promptRequest(prompt), account)).text).toBe(simulatedAnswer(prompt));
      await connectionReturned();
    }

    expect(cachedDispatcherCount()).toBe(1);
    expect(httpProxy.stats.connections).toBe(1);
    expect(httpProxy.stats.tunnels).toBe(1);
    expect(simulator.stats().byKey['key-first']?.succeeded).toBe(2);
    expect(simulator.stats().byKey['key-second']?.succeeded).toBe(2);
  });

  it.each(modes)('%s with wrong proxy credentials fails as auth, without the password', async (mode) => {
    httpProxy = await startHttpProxy({ auth: credentials });
    const proxy = httpProxy.url({ username: credentials.username, password: wrongPassword });
    const account = testAccount({ baseUrl: simulator.url, proxy });

    const error = await failureOf(call(mode, promptRequest('never sent'), account));

    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`proxy http://127.0.0.1:${httpProxy.port}`);
    expect(error.message).toMatch(/407/);
    expect(JSON.stringify(error)).not.toContain(wrongPassword);
    expect(httpProxy.stats.rejectedAuth).toBe(1);
    expect(httpProxy.stats.tunnels).toBe(0);
    expect(simulator.stats().requests).toBe(0);
  });

  it.each(modes)('%s through a dead proxy fails as network, naming it without the password', async (mode) => {
    const port = await deadPort();
    const account = testAccount({ baseUrl: simulator.url, proxy: `http://user:${wrongPassword}@127.0.0.1:${port}` });

    const error = await failureOf(call(mode, promptRequest('never sent'), account));

    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`via proxy http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(wrongPassword);
    expect(String((error.cause as Error | undefined)?.message)).not.toContain(wrongPassword);
    expect(simulator.stats().requests).toBe(0);
  });
});

describe('a target the proxy cannot reach', () => {
  it('http://: the proxy answers CONNECT with 502, a retryable network error', async () => {
    httpProxy = await startHttpProxy();
    const port = await deadPort();
    const account = testAccount({ baseUrl: `http://127.0.0.1:${port}`, proxy: httpProxy.url() });
    const error = await failureOf(call('execute', promptRequest('x'), account));
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`could not open a tunnel to 127.0.0.1:${port} via proxy`);
    expect(error.message).toContain('(it answered 502)');
    expect(httpProxy.stats.targets).toEqual([`127.0.0.1:${port}`]);
  });

  it.each(['socks5', 'socks5h'] as const)('%s://: the proxy replies "connection refused"', async (scheme) => {
    socksProxy = await startSocks5Proxy();
    const port = await deadPort();
    const account = testAccount({ baseUrl: `http://127.0.0.1:${port}`, proxy: socksProxy.url(scheme) });
    const error = await failureOf(call('executeStream', promptRequest('x'), account));
    expect(error.kind).toBe('network');
    expect(error.message).toContain(`the SOCKS5 proxy failed to reach 127.0.0.1:${port}`);
    expect(error.message).toMatch(/Connection refused/);
  });
});

describe.each(['socks5', 'socks5h'] as const)('%s:// proxy', (scheme) => {
  it.each(modes)('%s goes through the proxy to the simulator and gets its answer', async (mode) => {
    socksProxy = await startSocks5Proxy({ auth: credentials });
    const account = testAccount({ baseUrl: simulator.url, proxy: socksProxy.url(scheme) });
    const prompt = `Through the ${scheme} proxy (${mode})`;

    const result = await call(mode, promptRequest(prompt), account);

    expect(result.text).toBe(simulatedAnswer(prompt));
    expect(socksProxy.stats.tunnels).toBe(1);
    expect(socksProxy.stats.targets).toEqual([{ host: '127.0.0.1', port: simulator.port, addressType: 'ipv4' }]);
    expect(simulator.stats().byStatus).toEqual({ '200': 1 });
  });

  it('reuses one dispatcher and one tunnel across requests', async () => {
    socksProxy = await startSocks5Proxy({ auth: credentials });
    const account = testAccount({ baseUrl: simulator.url, proxy: socksProxy.url(scheme) });
    for (const mode of [...modes, ...modes]) {
      expect((await call(mode, promptRequest(mode), account)).text).toBe(simulatedAnswer(mode));
      await connectionReturned();
    }
    expect(cachedDispatcherCount()).toBe(1);
    expect(socksProxy.stats.connections).toBe(1);
    expect(simulator.stats().byStatus).toEqual({ '200': 4 });
  });

  it.each(modes)('%s with a wrong password fails as auth, without the password', async (mode) => {
    socksProxy = await startSocks5Proxy({ auth: credentials });
    const proxy = socksProxy.url(scheme, { username: credentials.username, password: wrongPassword });
    const account = testAccount({ baseUrl: simulator.url, proxy });

    const error = await failureOf(call(mode, promptRequest('never sent'), account));

    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`proxy ${scheme}://127.0.0.1:${socksProxy.port}`);
    expect(JSON.stringify(error)).not.toContain(wrongPassword);
    expect(socksProxy.stats.authFailures).toBe(1);
    expect(socksProxy.stats.tunnels).toBe(0);
    expect(simulator.stats().requests).toBe(0);
  });

  it('a proxy that wants a login the URL does not give fails as auth', async () => {
    socksProxy = await startSocks5Proxy({ auth: credentials });
    const account = testAccount({ baseUrl: simulator.url, proxy: `${scheme}://127.0.0.1:${socksProxy.port}` });
    const error = await failureOf(call('execute', promptRequest('never sent'), account));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/username and password/);
  });

  it.each(modes)('%s through a dead proxy fails as network, naming it without the password', async (mode) => {
    const port = await deadPort();
    const proxy = `${scheme}://user:${wrongPassword}@127.0.0.1:${port}`;
    const account = testAccount({ baseUrl: simulator.url, proxy });

    const error = await failureOf(call(mode, promptRequest('never sent'), account));

    expect(error.kind).toBe('network');
    expect(error.message).toContain(`via proxy ${scheme}://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(wrongPassword);
  });
});

describe('host names: socks5h:// resolves at the proxy, socks5:// on this machine', () => {
  it('socks5h:// hands the proxy the host name', async () => {
    socksProxy = await startSocks5Proxy();
    const baseUrl = `http://localhost:${simulatorOnLocalhost.port}`;
    const account = testAccount({ baseUrl, proxy: socksProxy.url('socks5h') });
    expect((await call('execute', promptRequest('remote dns'), account)).text).toBe(simulatedAnswer('remote dns'));
    expect(socksProxy.stats.targets).toEqual([{ host: 'localhost', port: simulatorOnLocalhost.port, addressType: 'domain' }]);
  });

  it('socks5:// resolves the host name and hands the proxy an address', async () => {
    socksProxy = await startSocks5Proxy();
    const baseUrl = `http://localhost:${simulatorOnLocalhost.port}`;
    const account = testAccount({ baseUrl, proxy: socksProxy.url('socks5') });
    expect((await call('execute', promptRequest('local dns'), account)).text).toBe(simulatedAnswer('local dns'));
    const { address, family } = await lookup('localhost');
    const expected = family === 6 ? { host: expandIpv6(address), addressType: 'ipv6' } : { host: address, addressType: 'ipv4' };
    expect(socksProxy.stats.targets).toEqual([{ ...expected, port: simulatorOnLocalhost.port }]);
  });

  it('a name that does not resolve fails here for socks5://, at the proxy for socks5h://', async () => {
    socksProxy = await startSocks5Proxy();
    const baseUrl = 'http://relayq-test.invalid:8080';

    const localAccount = testAccount({ baseUrl, proxy: socksProxy.url('socks5') });
    const local = await failureOf(call('execute', promptRequest('x'), localAccount));
    expect(local.kind).toBe('network');
    expect(local.message).toMatch(/cannot resolve relayq-test\.invalid on this machine/);
    expect(socksProxy.stats.connections).toBe(0);

    await closeDispatchers();
    const remoteAccount = testAccount({ baseUrl, proxy: socksProxy.url('socks5h') });
    const remote = await failureOf(call('execute', promptRequest('x'), remoteAccount));
    expect(remote.kind).toBe('network');
    expect(remote.message).toMatch(/SOCKS5 proxy failed to reach relayq-test\.invalid:8080/);
    expect(socksProxy.stats.targets).toEqual([{ host: 'relayq-test.invalid', port: 8080, addressType: 'domain' }]);
  });

  it.skipIf(!hasIpv6Loopback).each(['socks5', 'socks5h'] as const)('%s:// sends an IPv6 literal as an IPv6 address', async (scheme) => {
    const ipv6Simulator = await startSimulator({}, { host: '::1' });
    try {
      socksProxy = await startSocks5Proxy();
      const account = testAccount({ baseUrl: ipv6Simulator.url, proxy: socksProxy.url(scheme) });
      expect((await call('execute', promptRequest('over ipv6'), account)).text).toBe(simulatedAnswer('over ipv6'));
      expect(socksProxy.stats.targets).toEqual([{ host: '0:0:0:0:0:0:0:1', port: ipv6Simulator.port, addressType: 'ipv6' }]);
    } finally {
      await closeDispatchers();
      await ipv6Simulator.close();
    }
  });
});

/** The proxy helper writes IPv6 addresses as 8 uncompressed groups. */
function expandIpv6(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => parseInt(group, 16).toString(16)).join(':');
}
