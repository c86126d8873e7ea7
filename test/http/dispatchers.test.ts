import { afterEach, describe, expect, it } from 'vitest';
import { Agent, ProxyAgent, Socks5ProxyAgent } from 'undici';
import { cachedDispatcherCount, closeDispatchers, dispatcherFor, redactProxyUrl } from '../../src/http/dispatchers.ts';

const timeouts = { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 };

afterEach(async () => {
  await closeDispatchers();
});

describe('dispatcherFor', () => {
  it('shares one Agent between direct accounts with the same connect timeout', () => {
    const a = dispatcherFor({ id: 'a', timeouts });
    const b = dispatcherFor({ id: 'b', timeouts });
    expect(a).toBeInstanceOf(Agent);
    expect(b).toBe(a);
    const c = dispatcherFor({ id: 'c', timeouts: { ...timeouts, connectMs: 5000 } });
    expect(c).not.toBe(a);
    expect(cachedDispatcherCount()).toBe(2);
  });

  it('gives proxied accounts a ProxyAgent per proxy URL', () => {
    const a = dispatcherFor({ id: 'a', timeouts, proxy: 'http://user:pw@proxy.example:8080' });
    const b = dispatcherFor({ id: 'b', timeouts, proxy: 'http://user:pw@proxy.example:8080' });
    const c = dispatcherFor({ id: 'c', timeouts, proxy: 'https://other.example:8443' });
    expect(a).toBeInstanceOf(ProxyAgent);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('uses undici Socks5ProxyAgent for socks5:// and socks5h://', () => {
    expect(dispatcherFor({ id: 'a', timeouts, proxy: 'socks5://127.0.0.1:1080' })).toBeInstanceOf(Socks5ProxyAgent);
    expect(dispatcherFor({ id: 'b', timeouts, proxy: 'socks5h://u:p@127.0.0.1:1080' })).toBeInstanceOf(Socks5ProxyAgent);
  });

  it('rejects an unsupported proxy scheme with a message naming the account', () => {
    expect(() => dispatcherFor({ id: 'acct-9', timeouts, proxy: 'ftp://user:secret@x.example' })).toThrow(
      /account "acct-9".*ftp:\/\/x\.example.*unsupported/,
    );
  });

  it('closeDispatchers empties the cache', async () => {
    dispatcherFor({ id: 'a', timeouts });
    await closeDispatchers();
    expect(cachedDispatcherCount()).toBe(0);
  });
});

describe('redactProxyUrl', () => {
  it('drops user and password', () => {
    expect(redactProxyUrl('http://user:secret@proxy.example:8080')).toBe('http://proxy.example:8080');
    expect(redactProxyUrl('socks5h://u:p@proxy.example:1080')).toBe('socks5h://proxy.example:1080');
  });
});
