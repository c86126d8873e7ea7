/**
 * Requests through an HTTP or HTTPS proxy (`proxy: http://user:pass@host:port`), on undici's
 * ProxyAgent:
 *
 * - Every connection is a CONNECT tunnel, for https and http targets alike (undici's default,
 *   `proxyTunnel: true`), so a tunnelled connection to the provider is kept alive and reused like
 *   a direct one. (A proxy that only forwards absolute-form `GET http://...` requests, or that
 *   forbids CONNECT to port 80, cannot reach an http:// baseUrl; providers are https anyway.)
 * - `user:pass` from the URL is sent as Basic `Proxy-Authorization` on each CONNECT.
 * - `timeouts.connectMs` bounds the TCP (and TLS, for https://) connect to the proxy, the wait
 *   for the proxy's answer to CONNECT, and the TLS handshake with the target through the tunnel.
 *   Without the second one a proxy that accepts connections but never answers would hold each
 *   request for undici's default of 300 s.
 */
import { Pool, ProxyAgent, errors, type Dispatcher } from 'undici';

export interface HttpProxyDispatcherOptions {
  connectMs: number;
  /** Pool options for the tunnelled connections to each target origin. */
  pool: Pick<Pool.Options, 'connections' | 'keepAliveTimeout' | 'keepAliveMaxTimeout'>;
}

export function createHttpProxyDispatcher(proxy: URL, options: HttpProxyDispatcherOptions): Dispatcher {
  const { connectMs } = options;
  return new ProxyAgent({
    ...options.pool,
    uri: proxy.href,
    proxyTls: { timeout: connectMs },
    requestTls: { timeout: connectMs },
    clientFactory: proxyConnectClientFactory(connectMs),
  });
}

/** ProxyAgent's `clientFactory`: the pool that sends CONNECT to the proxy, bounded by connectMs. */
export function proxyConnectClientFactory(connectMs: number): (origin: URL, options: object) => Dispatcher {
  return (origin, clientOptions) => new ProxyConnectClient(origin, clientOptions as Pool.Options, connectMs);
}

type ConnectOptions = Omit<Dispatcher.ConnectOptions, 'origin'>;
type ConnectCallback = (err: Error | null, data: Dispatcher.ConnectData) => void;

/**
 * The connection pool to the proxy itself, which ProxyAgent uses only to send CONNECT. Its
 * headers timeout is connectMs, and a CONNECT left unanswered fails as a connect timeout (not as
 * the request's own `firstByteMs`, which is about the provider).
 */
class ProxyConnectClient extends Pool {
  private readonly connectMs: number;

  constructor(origin: URL, options: Pool.Options, connectMs: number) {
    super(origin, { ...options, headersTimeout: connectMs, bodyTimeout: connectMs });
    this.connectMs = connectMs;
  }

  override connect(options: ConnectOptions): Promise<Dispatcher.ConnectData>;
  override connect(options: ConnectOptions, callback: ConnectCallback): void;
  override connect(options: ConnectOptions, callback?: ConnectCallback): Promise<Dispatcher.ConnectData> | void {
    if (callback !== undefined) {
      super.connect(options, (err, data) => callback(err === null ? null : this.explain(err), data));
      return;
    }
    return super.connect(options).catch((error: unknown) => {
      throw this.explain(error);
    });
  }

  private explain<T>(error: T): T | Error {
    if ((error as { code?: unknown } | null)?.code !== 'UND_ERR_HEADERS_TIMEOUT') return error;
    return new errors.ConnectTimeoutError(`the proxy did not answer CONNECT within ${this.connectMs} ms`);
  }
}
