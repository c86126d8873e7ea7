/**
 * undici dispatchers shared by every request of the process, so connections (and TLS sessions)
 * are reused across jobs. A dispatcher's connect timeout is fixed when it is built, so the cache
 * key is (proxy URL, connectMs): accounts with the same proxy and connect timeout share one
 * dispatcher, which keeps one connection pool per target origin inside it.
 *
 * - no `proxy` on the account: the proxy of the environment (`HTTPS_PROXY` for https targets,
 *   `HTTP_PROXY` for http ones, hosts in `NO_PROXY` direct, lower-case names first, as curl reads
 *   them) through undici's EnvHttpProxyAgent; an undici Agent when none is set;
 * - `proxy: none`: an undici Agent, whatever the environment says;
 * - `http://` / `https://` proxy: CONNECT tunnels (http-proxy-dispatcher.ts);
 * - `socks5h://` (the proxy resolves host names) / `socks5://` (relayq resolves them):
 *   socks5-dispatcher.ts.
 *
 * The environment is read once, when the first dispatcher is built (and again after
 * `closeDispatchers`), so every call of a process sees the same proxies.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { Account } from '../executors/types.ts';
import { ConfigError } from '../lib/config-error.ts';
import { createHttpProxyDispatcher, proxyConnectClientFactory } from './http-proxy-dispatcher.ts';
import { noProxy, proxyUrlProblem } from './proxy-url.ts';
import { createSocks5Dispatcher } from './socks5-dispatcher.ts';

/** Connections kept per origin; a worker runs tens of requests at once, not thousands. */
const connectionsPerOrigin = 256;
/** How long an idle keep-alive socket is kept when the server gives no hint. */
const keepAliveTimeoutMs = 30_000;
/** Upper bound for the server's `keep-alive: timeout=` hint. */
const keepAliveMaxTimeoutMs = 600_000;

export type DispatcherAccount = Pick<Account, 'id' | 'proxy' | 'timeouts'>;

const cache = new Map<string, Dispatcher>();

/** The proxy settings of the environment, as read for the dispatchers of this process. */
export interface EnvironmentProxies {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

let environment: EnvironmentProxies | undefined;

/**
 * `https_proxy` / `HTTPS_PROXY`, `http_proxy` / `HTTP_PROXY` and `no_proxy` / `NO_PROXY` (the
 * lower-case name wins when both are set, as in curl and undici); empty values count as unset.
 */
export function environmentProxies(env: Readonly<Record<string, string | undefined>> = process.env): EnvironmentProxies {
  const set = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
  const read = (name: string): string | undefined => set(env[name.toLowerCase()]) ?? set(env[name]);
  const found: EnvironmentProxies = {};
  const httpProxy = read('HTTP_PROXY');
  const httpsProxy = read('HTTPS_PROXY');
  const noProxy = read('NO_PROXY');
  if (httpProxy !== undefined) found.httpProxy = httpProxy;
  if (httpsProxy !== undefined) found.httpsProxy = httpsProxy;
  if (noProxy !== undefined) found.noProxy = noProxy;
  return found;
}

/** The shared dispatcher for an account: direct, through an HTTP(S) proxy (its own or the environment's), or through SOCKS5. */
export function dispatcherFor(account: DispatcherAccount): Dispatcher {
  const connectMs = account.timeouts.connectMs;
  const proxy = account.proxy ?? (environmentHasProxy() ? 'environment' : noProxy);
  const key = `${proxy}|${connectMs}`;
  let dispatcher = cache.get(key);
  if (dispatcher === undefined) {
    dispatcher = createDispatcher(account, proxy, connectMs);
    cache.set(key, dispatcher);
  }
  return dispatcher;
}

function environmentHasProxy(): boolean {
  environment ??= environmentProxies();
  return environment.httpProxy !== undefined || environment.httpsProxy !== undefined;
}

/** Closes every cached dispatcher (waiting for requests in flight) and empties the cache; the environment is read again after. */
export async function closeDispatchers(): Promise<void> {
  const dispatchers = [...cache.values()];
  cache.clear();
  environment = undefined;
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

function createDispatcher(account: DispatcherAccount, proxy: string, connectMs: number): Dispatcher {
  const pool = {
    connections: connectionsPerOrigin,
    keepAliveTimeout: keepAliveTimeoutMs,
    keepAliveMaxTimeout: keepAliveMaxTimeoutMs,
  };
  if (proxy === noProxy) {
    return new Agent({ ...pool, connect: { timeout: connectMs } });
  }
  if (proxy === 'environment') return createEnvironmentDispatcher(environment ?? environmentProxies(), connectMs, pool);

  let url: URL;
  try {
    url = new URL(proxy);
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
        `account "${account.id}": proxy ${redactProxyUrl(proxy)} uses an unsupported ` +
          'scheme; use http://, https://, socks5:// or socks5h://',
      );
  }
}

/**
 * The environment's proxies through undici's EnvHttpProxyAgent (which matches NO_PROXY: host
 * names and their subdomains, `host:port`, `*`), with the same pool, connect and CONNECT timeouts
 * as an account's own http(s) proxy. Only http:// and https:// proxies are read from the
 * environment; anything else is an error naming the variable.
 */
function createEnvironmentDispatcher(
  found: EnvironmentProxies,
  connectMs: number,
  pool: { connections: number; keepAliveTimeout: number; keepAliveMaxTimeout: number },
): Dispatcher {
  for (const [name, value] of [
    ['HTTP_PROXY', found.httpProxy],
    ['HTTPS_PROXY', found.httpsProxy],
  ] as const) {
    if (value === undefined) continue;
    const problem = /^https?:\/\//i.test(value) ? proxyUrlProblem(value) : 'must be an http:// or https:// URL';
    if (problem !== null) throw new ConfigError(`the ${name} environment variable ${problem}`);
  }
  return new EnvHttpProxyAgent({
    ...pool,
    ...(found.httpProxy === undefined ? {} : { httpProxy: found.httpProxy }),
    ...(found.httpsProxy === undefined ? {} : { httpsProxy: found.httpsProxy }),
    noProxy: found.noProxy ?? '',
    connect: { timeout: connectMs },
    proxyTls: { timeout: connectMs },
    requestTls: { timeout: connectMs },
    clientFactory: proxyConnectClientFactory(connectMs),
  });
}
