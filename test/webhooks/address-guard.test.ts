import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkWebhookUrl,
  checkWebhookUrls,
  normalizeAddress,
  refusedRange,
  WebhookAddressError,
  type AddressPolicy,
  type Resolver,
} from '../../src/webhooks/address-guard.ts';
import { deliverOnce } from '../../src/webhooks/deliver.ts';
import { createWebhookDispatcher, type SocketOpener } from '../../src/webhooks/dispatcher.ts';
import { startLocalServer, type LocalServer } from '../http/local-server.ts';

const defaults: AddressPolicy = { allowPrivateNetworks: false, allowHosts: [] };

/** Answers every name with fixed addresses, and records the names asked. */
function stubResolver(addresses: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (hostname: string) => {
    asked.push(hostname);
    return (addresses[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  return Object.assign(resolver, { asked });
}

/** A socket opener that fails the test if anything ever tries to open a socket. */
function forbiddenOpener(): SocketOpener & { calls: string[] } {
  const calls: string[] = [];
  const opener: SocketOpener = (options, callback) => {
    calls.push(options.hostname);
    callback(new Error(`a socket to ${options.hostname} was opened`), null);
  };
  return Object.assign(opener, { calls });
}

describe('addresses', () => {
  it('are refused by range, IPv4-mapped IPv6 as its IPv4 address', () => {
    // refusedRange only classifies the text of an address: nothing is resolved or connected to.
    expect(refusedRange('169.254.169.254')).toBe('link-local');
    expect(refusedRange('10.0.0.1')).toBe('private');
    expect(refusedRange('127.0.0.1')).toBe('loopback');
    expect(refusedRange('100.64.1.1')).toBe('carrier-grade NAT');
    expect(refusedRange('224.0.0.1')).toBe('multicast');
    expect(refusedRange('0.0.0.0')).toBe('unspecified');
    expect(refusedRange('::1')).toBe('loopback');
    expect(refusedRange('::')).toBe('unspecified');
    expect(refusedRange('fd00::1')).toBe('private');
    expect(refusedRange('fe80::1%eth0')).toBe('link-local');
    expect(refusedRange('::ffff:127.0.0.1')).toBe('loopback');
    expect(refusedRange('::ffff:7f00:1')).toBe('loopback');
    expect(refusedRange('[::ffff:a9fe:a9fe]')).toBe('link-local');
    expect(normalizeAddress('::ffff:10.1.2.3')).toEqual({ address: '10.1.2.3', family: 4 });
    expect(refusedRange('93.184.215.14')).toBeNull();
    expect(refusedRange('2606:4700::1111')).toBeNull();
  });

  it('submit-time check: form, and where the name resolves, without connecting', async () => {
    const resolver = stubResolver({ 'internal.example': ['127.0.0.1'], 'public.example': ['93.184.215.14'] });
    await expect(checkWebhookUrl('ftp://x.example/', defaults, resolver)).rejects.toThrow(/http:\/\/ or https:\/\//);
    await expect(checkWebhookUrl('not a url', defaults, resolver)).rejects.toThrow(/not a URL/);
    await expect(checkWebhookUrl('http://user:pw@public.example/', defaults, resolver)).rejects.toThrow(/user name or password/);
    await expect(checkWebhookUrl('http://internal.example/hook', defaults, resolver)).rejects.toThrow(/loopback address/);
    await expect(checkWebhookUrl('http://169.254.169.254/', defaults, resolver)).rejects.toThrow(WebhookAddressError);
    await expect(checkWebhookUrl('https://public.example/hook', defaults, resolver)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl(`https://public.example/${'x'.repeat(3000)}`, defaults, resolver)).rejects.toThrow(/at most 2048/);
    const many = Array.from({ length: 11 }, (_, i) => `https://public.example/${i}`);
    await expect(checkWebhookUrls(many, defaults, resolver)).rejects.toThrow(/at most 10 webhook URLs/);
    await expect(checkWebhookUrls([...many.slice(0, 2), many[0] as string], defaults, resolver)).resolves.toEqual(many.slice(0, 2));
    // A name that does not resolve now is accepted; its deliveries say why they fail.
    await expect(checkWebhookUrl('https://nowhere.example/hook', defaults, resolver)).resolves.toBeInstanceOf(URL);
    await expect(
      checkWebhookUrl('http://internal.example/', { allowPrivateNetworks: false, allowHosts: ['internal.example'] }, resolver),
    ).resolves.toBeInstanceOf(URL);
  });
});

describe('the delivery path with the default config', () => {
  const cases = [
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://10.0.0.1/', 'private'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://hooks.rebind.example/', 'loopback'],
  ] as const;
  for (const [url, range] of cases) {
    it(`refuses ${url} before any socket is opened`, async () => {
      const resolver = stubResolver({ 'hooks.rebind.example': ['127.0.0.1'] });
      const openSocket = forbiddenOpener();
      const dispatcher = createWebhookDispatcher({ policy: defaults, timeoutMs: 2_000, resolver, openSocket });
      try {
        const attempt = await deliverOnce(dispatcher, url, { 'webhook-id': 'evt_x' }, '{}', 2_000);
        expect(attempt).toMatchObject({ ok: false, refused: true, statusCode: null });
        expect(attempt.error).toContain(`${range} address`);
        expect(openSocket.calls).toEqual([]);
        // Literal addresses are checked as they are; only names are resolved.
        expect(resolver.asked).toEqual(url.includes('rebind') ? ['hooks.rebind.example'] : []);
      } finally {
        await dispatcher.close();
      }
    });
  }

  it('picks an allowed address among several and connects to exactly that one', async () => {
    const resolver = stubResolver({ 'mixed.example': ['10.0.0.7', '93.184.215.14'] });
    const openSocket = forbiddenOpener();
    const dispatcher = createWebhookDispatcher({ policy: defaults, timeoutMs: 2_000, resolver, openSocket });
    try {
      const attempt = await deliverOnce(dispatcher, 'http://mixed.example/', {}, '{}', 2_000);
      expect(attempt.ok).toBe(false);
      expect(openSocket.calls).toEqual(['93.184.215.14']);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('deliveries to an allowed local receiver', () => {
  let receiver: LocalServer;
  beforeAll(async () => {
    receiver = await startLocalServer();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('connect to the address the name was checked at (an allowHosts name)', async () => {
    receiver.handle((_req, res) => void res.writeHead(204).end());
    const port = new URL(receiver.url).port;
    const resolver = stubResolver({ 'receiver.test': ['127.0.0.1'] });
    const dispatcher = createWebhookDispatcher({
      policy: { allowPrivateNetworks: false, allowHosts: ['receiver.test'] },
      timeoutMs: 5_000,
      resolver,
    });
    try {
      const attempt = await deliverOnce(dispatcher, `http://receiver.test:${port}/hook`, { 'webhook-id': 'evt_1' }, '{"a":1}', 5_000);
      expect(attempt).toMatchObject({ ok: true, statusCode: 204, error: null });
      const last = receiver.requests.at(-1);
      expect(last?.headers.host).toBe(`receiver.test:${port}`);
      expect(last?.headers['webhook-id']).toBe('evt_1');
      expect(last?.body).toBe('{"a":1}');
    } finally {
      await dispatcher.close();
    }
  });

  it('does not follow redirects, reads at most 64 KB, honours retry-after', async () => {
    const dispatcher = createWebhookDispatcher({ policy: { allowPrivateNetworks: true, allowHosts: [] }, timeoutMs: 5_000 });
    try {
      receiver.handle((_req, res) => void res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end());
      const before = receiver.requests.length;
      const redirected = await deliverOnce(dispatcher, `${receiver.url}/hook`, {}, '{}', 5_000);
      expect(redirected).toMatchObject({ ok: false, statusCode: 302 });
      expect(receiver.requests.slice(before).map((r) => r.url)).toEqual(['/hook']);

      receiver.handle((_req, res) => void res.writeHead(200).end('x'.repeat(5 * 1024 * 1024)));
      const big = await deliverOnce(dispatcher, `${receiver.url}/hook`, {}, '{}', 5_000);
      expect(big.ok).toBe(true);
      expect(big.response.length).toBeLessThanOrEqual(256);

      receiver.handle((_req, res) => void res.writeHead(429, { 'retry-after': '7' }).end());
      expect(await deliverOnce(dispatcher, `${receiver.url}/hook`, {}, '{}', 5_000)).toMatchObject({ ok: false, retryAfterMs: 7000 });
    } finally {
      await dispatcher.close();
    }
  });
});
