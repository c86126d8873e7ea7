/**
 * undici dispatchers shared by every request of the process, so connections (and TLS sessions)
 * are reused across jobs. A dispatcher's connect timeout is fixed when it is built, so the cache
 * key is (proxy URL, connectMs): accounts with the same proxy and connect timeout share one
 * dispatcher, which keeps one connection pool per target origin inside it.
 *
 * - no proxy: an undici Agent;
 * - `http://` / `https://` proxy: CONNECT tunnels (http-proxy-dispatcher.ts);
 * - `socks5h://` (the proxy resolves host names) / `socks5://` (relayq resolves them):
 *   socks5-dispatcher.ts.
 */
import { Agent, type Dispatcher } from 'undici';
import type { Account } from '../executors/types.ts';
import { ConfigError } from '../lib/config-error.ts';
import { createHttpProxyDispatcher } from './http-proxy-dispatcher.ts';
import { createSocks5Dispatcher } from './socks5-dispatcher.ts';

/** Connections kept per origin; a worker runs tens of requests at once, not thousands. */
const connectionsPerOrigin = 256;
/** How long an idle keep-alive socket is kept when the server gives no hint. */
const keepAliveTimeoutMs = 30_000;
/** Upper bound for the server's `keep-alive: timeout=` hint. */
const keepAliveMaxTimeoutMs = 600_000;

export type DispatcherAccount = Pick<Account, 'id' | 'proxy' | 'timeouts'>;

const cache = new Map<string, Dispatcher>();

/** The shared dispatcher for an account: direct, through an HTTP(S) proxy, or through SOCKS5. */
export function dispatcherFor(account: DispatcherAccount): Dispatcher {
  const connectMs = account.timeouts.connectMs;
  const key = `${account.proxy ?? 'direct'}|${connectMs}`;
  let dispatcher = cache.get(key);
  if (dispatcher === undefined) {
    dispatcher = createDispatcher(account, connectMs);
    cache.set(key, dispatcher);
  }
  return dispatcher;
}

/** Closes every cached dispatcher (waiting for requests in flight) and empties the cache. */
export async function closeDispatchers(): Promise<void> {
  const dispatchers = [...cache.values()];
  cache.clear();
  await Promise.allSettled(dispatchers.map((dispatcher) => dispatcher.close()));
}

/** How many dispatchers are cached (for tests and metrics). */
export function cachedDispatcherCount(): number {
  return cache.size;
}

/** A proxy URL with its user and password masked, fit for messages and logs. */
export function redactProxyUrl(proxy: string): string {
  try {
    const url = new URL(proxy);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(unparsable proxy URL)';
  }
}

function createDispatcher(account: DispatcherAccount, connectMs: number): Dispatcher {
  const pool = {
    connections: connectionsPerOrigin,
    keepAliveTimeout: keepAliveTimeoutMs,
    keepAliveMaxTimeout: keepAliveMaxTimeoutMs,
  };
  if (account.proxy === undefined) {
    return new Agent({ ...pool, connect: { timeout: connectMs } });
  }

  let url: URL;
  try {
    url = new URL(account.proxy);
  } catch {
    throw new ConfigError(`account "${account.id}": proxy is not a valid URL`);
  }
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      return createHttpProxyDispatcher(url, { connectMs, pool });
    case 'socks5:':
    case 'socks5h:':
      return createSocks5Dispatcher(url, { connectMs, resolveLocally: url.protocol === 'socks5:' });
    default:
      throw new ConfigError(
        `account "${account.id}": proxy ${redactProxyUrl(account.proxy)} uses an unsupported ` +
          'scheme; use http://, https://, socks5:// or socks5h://',
      );
  }
}
