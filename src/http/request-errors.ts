/**
 * Turns what undici and the socket layer throw into a ProviderError whose kind the worker can act
 * on. Messages name the upstream host (and the proxy's host), never a key or a proxy password.
 */
import { ProviderError, type ErrorKind } from '../executors/errors.ts';
import { SseTruncatedError } from './sse.ts';
import { redactProxyUrl } from './dispatchers.ts';

export interface RequestErrorContext {
  provider: string;
  /** The upstream URL the request went to. */
  url: string | URL;
  accountId?: string;
  proxy?: string;
  signal?: AbortSignal;
  timeouts?: { connectMs: number; firstByteMs: number; idleMs: number };
  /** Status of a response whose body failed while being read. */
  statusCode?: number;
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_PRX_TLS',
]);

export function toProviderError(error: unknown, context: RequestErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const where = describeTarget(context);
  const make = (kind: ErrorKind, message: string, retryable?: boolean): ProviderError =>
    new ProviderError({
      kind,
      message: `${context.provider}${context.accountId ? ` account "${context.accountId}"` : ''}: ${message}`,
      provider: context.provider,
      statusCode: context.statusCode,
      cause: error,
      ...(retryable === undefined ? {} : { retryable }),
    });

  const code = errorCode(error);
  // undici also throws an AbortError (UND_ERR_ABORTED) for failures nobody asked for, such as
  // a proxy refusing the tunnel; only our own signal means "cancelled".
  if (context.signal?.aborted || (isAbortError(error) && code !== 'UND_ERR_ABORTED')) {
    return make('cancelled', `request to ${where} was cancelled`);
  }
  if (error instanceof SseTruncatedError) {
    return make('network', `the event stream from ${where} was cut in the middle of an event`);
  }

  const detail = errorDetail(error);
  const timeouts = context.timeouts;
  const proxy = context.proxy === undefined ? undefined : redactProxyUrl(context.proxy);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return make(
        'timeout',
        `could not connect to ${where}` +
          (timeouts ? ` within ${timeouts.connectMs} ms (timeouts.connectMs)` : ' (timed out)') +
          (proxy === undefined ? '' : `: ${detail}`),
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return make(
        'timeout',
        `no response from ${where}${timeouts ? ` within ${timeouts.firstByteMs} ms (timeouts.firstByteMs)` : ' (timed out)'}`,
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return make(
        'timeout',
        `the response from ${where} went silent${timeouts ? ` for more than ${timeouts.idleMs} ms (timeouts.idleMs)` : ' (timed out)'}`,
      );
    case 'UND_ERR_SOCKS5_AUTH_FAILED':
      return make('auth', `the SOCKS5 proxy rejected its username and password, for ${where}`);
    case 'UND_ERR_SOCKS5_AUTH_REJECTED':
      return make(
        'auth',
        `the SOCKS5 proxy accepts none of the offered login methods for ${where} ` +
          '(it may want a username and password in the proxy URL)',
      );
    case 'UND_ERR_SOCKS5_REPLY_2':
      return make('permission', `the SOCKS5 proxy's rules do not allow a connection to ${where}`);
  }
  if (code?.startsWith('UND_ERR_SOCKS5')) {
    return make('network', `the SOCKS5 proxy failed to reach ${where}: ${detail}`);
  }
  // undici's own SOCKS5 handshake waits (5 s each for the login and CONNECT answers).
  if (/^SOCKS5 (authentication|connection) timeout/.test(detail)) {
    return make('timeout', `the SOCKS5 proxy did not answer in time, for ${where}: ${detail}`);
  }
  // An HTTP proxy's answer to CONNECT (tunnel) or to a forwarded request (absolute form).
  const proxyStatus = /Proxy response \((\d+)\)|Proxy Authentication Required \((407)\)/.exec(detail);
  if (proxyStatus !== null && (code === 'UND_ERR_ABORTED' || code === 'UND_ERR_INVALID_ARG')) {
    const status = Number(proxyStatus[1] ?? proxyStatus[2]);
    if (status === 407) {
      return make('auth', `the proxy rejected its credentials (407) for ${where}; check the user and password in the proxy URL`);
    }
    if (status === 403) return make('permission', `the proxy refused the tunnel (403) to ${where}`);
    return make('network', `the proxy could not open a tunnel to ${where} (it answered ${status})`);
  }
  if (code !== undefined && networkCodes.has(code)) {
    if (proxy !== undefined && code === 'ECONNREFUSED') {
      // With a proxy, the only TCP connection relayq opens itself is the one to the proxy.
      return make('network', `connection to ${where} failed: nothing accepts connections at the proxy's address (${detail})`);
    }
    return make('network', `connection to ${where} failed: ${detail}`);
  }
  if (/other side closed|socket hang up/i.test(detail)) {
    return make('network', `connection to ${where} failed: ${detail}`);
  }
  return make('network', `request to ${where} failed: ${detail}`);
}

function describeTarget(context: RequestErrorContext): string {
  let host: string;
  try {
    host = new URL(context.url).host;
  } catch {
    host = '(invalid URL)';
  }
  return context.proxy ? `${host} via proxy ${redactProxyUrl(context.proxy)}` : host;
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The first error code found on the error, its causes, or an AggregateError's members. */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = errorCode(inner, depth + 1);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}

/** A short description of the error with credentials scrubbed from any URL in it. */
function errorDetail(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    const text =
      current.message ||
      (current instanceof AggregateError
        ? current.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))).join('; ')
        : current.name);
    parts.push(typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text);
    current = current.cause;
  }
  if (parts.length === 0) parts.push(String(error));
  return parts.join(': ').replace(/\/\/[^/\s@]*@/g, '//');
}
