/**
 * Requests through a SOCKS5 proxy, on undici's Socks5ProxyAgent, with name resolution as curl
 * does it:
 *
 * - `socks5h://`: the target's host name goes to the proxy (address type DOMAINNAME), which
 *   resolves it. This is what undici's agent does on its own.
 * - `socks5://`: relayq resolves the host name on this machine and hands the proxy an IP
 *   address. undici has no option for this, so `createSocks5Connection` (the method undici calls
 *   for every new tunnel, with the target URL's hostname) is overridden to resolve first.
 *
 * Both also strip the brackets of an IPv6 literal (`http://[::1]:8080`), which undici would
 * otherwise send as a domain name. TLS to an https target goes through the tunnel with the
 * original host name as SNI in both modes.
 *
 * Timeouts: `timeouts.connectMs` bounds the TCP connect to the proxy; undici waits at most 5 s
 * each for the proxy's answers to the authentication and CONNECT steps (fixed in undici).
 * The per-origin pools behind the agent are undici's defaults (keep-alive 4 s, no connection cap).
 */
import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { Socks5ProxyAgent, buildConnector, type Dispatcher } from 'undici';

type CreateSocks5Connection = (this: Socks5ProxyAgent, host: string, port: number) => Promise<Socket>;

const undiciCreateConnection = (
  Socks5ProxyAgent.prototype as unknown as {
    createSocks5Connection?: CreateSocks5Connection;
  }
).createSocks5Connection;

export interface Socks5DispatcherOptions {
  connectMs: number;
  /** True for socks5:// (resolve host names here), false for socks5h:// (the proxy resolves). */
  resolveLocally: boolean;
}

/** A host name that could not be resolved on this machine for a socks5:// proxy. */
export class LocalResolveError extends Error {
  readonly code: string | undefined;

  constructor(host: string, cause: unknown) {
    super(`cannot resolve ${host} on this machine (socks5:// resolves host names locally; socks5h:// lets the proxy resolve them)`, {
      cause,
    });
    this.name = 'LocalResolveError';
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

export function createSocks5Dispatcher(proxy: URL, options: Socks5DispatcherOptions): Dispatcher {
  if (typeof undiciCreateConnection !== 'function') {
    throw new Error(
      'this undici version has no Socks5ProxyAgent.createSocks5Connection, which relayq overrides ' +
        'for socks5:// and socks5h:// proxies; use the undici version in package.json',
    );
  }
  // undici's agent only accepts the socks5:// spelling; the h is relayq's to interpret.
  const url = new URL(proxy.href.replace(/^socks5h:/, 'socks5:'));
  return new Socks5Dispatcher(url, options.connectMs, options.resolveLocally);
}

class Socks5Dispatcher extends Socks5ProxyAgent {
  private readonly resolveLocally: boolean;

  constructor(url: URL, connectMs: number, resolveLocally: boolean) {
    super(url, { connect: buildConnector({ timeout: connectMs }) });
    this.resolveLocally = resolveLocally;
  }

  /** Called by undici for every new tunnel; `host` is the target URL's hostname. */
  async createSocks5Connection(host: string, port: number): Promise<Socket> {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    let target = bare;
    if (this.resolveLocally && isIP(bare) === 0) {
      try {
        target = (await lookup(bare)).address;
      } catch (error) {
        throw new LocalResolveError(bare, error);
      }
    }
    return (undiciCreateConnection as CreateSocks5Connection).call(this, target, port);
  }
}
