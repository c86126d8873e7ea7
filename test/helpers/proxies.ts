/**
 * Real proxies on loopback for tests, with counters that say what went through them:
 *
 * - `startHttpProxy()`: an HTTP proxy serving CONNECT tunnels (what undici's ProxyAgent sends, for
 *   https and, by default, for http targets too) and absolute-form requests (`GET http://host/path`,
 *   what ProxyAgent sends for http targets with `proxyTunnel: false`, and what curl sends), with
 *   optional Basic proxy auth (a wrong or missing `Proxy-Authorization` is answered 407).
 * - `startSocks5Proxy()`: a SOCKS5 server (RFC 1928 CONNECT; IPv4, domain name and IPv6 targets)
 *   with optional username/password auth (RFC 1929). A domain-name target is resolved by the proxy,
 *   as `socks5h://` asks; it records which address type each target came as.
 *
 * Both relay bytes both ways and close one side when the other closes, so a client that goes away
 * is seen going away by the server behind the proxy.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxyCredentials {
  username: string;
  password: string;
}

export interface HttpProxyStats {
  /** TCP connections accepted from clients. */
  connections: number;
  /** CONNECT tunnels opened to a target. */
  tunnels: number;
  /** Absolute-form requests forwarded to a target. */
  forwarded: number;
  /** CONNECTs and requests answered 407 (missing or wrong credentials). */
  rejectedAuth: number;
  /** `host:port` of every tunnel and forwarded request, in order. */
  targets: string[];
}

export interface RunningHttpProxy {
  port: number;
  /** `http://[user:pass@]127.0.0.1:port`; the proxy's own credentials when none are given. */
  url(credentials?: ProxyCredentials): string;
  /** Live counters (the same object, updated in place). */
  readonly stats: HttpProxyStats;
  close(): Promise<void>;
}

export type SocksAddressType = 'ipv4' | 'domain' | 'ipv6';

export interface SocksTarget {
  /** The address as the client sent it: a dotted IPv4, a domain name, or an IPv6 address. */
  host: string;
  port: number;
  addressType: SocksAddressType;
}

export interface Socks5Stats {
  /** TCP connections accepted from clients. */
  connections: number;
  /** CONNECT commands that reached their target. */
  tunnels: number;
  /** Username/password checks that failed (or a client that offered no acceptable method). */
  authFailures: number;
  /** Every CONNECT target asked for, in order, reached or not. */
  targets: SocksTarget[];
}

export interface RunningSocks5Proxy {
  port: number;
  /** `socks5://` (client resolves names) or `socks5h://` (proxy resolves names) URL. */
  url(scheme: 'socks5' | 'socks5h', credentials?: ProxyCredentials): string;
  readonly stats: Socks5Stats;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Credentials the proxy requires; none: it lets everyone through. */
  auth?: ProxyCredentials;
  /** The HTTP proxy speaks TLS to its clients (an `https://` proxy) with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

function proxyUrl(scheme: string, port: number, credentials: ProxyCredentials | undefined): string {
  const userinfo =
    credentials === undefined ? '' : `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
  return `${scheme}://${userinfo}127.0.0.1:${port}`;
}

/** Pipes two sockets into each other; either one closing or failing tears down both. */
function relay(a: Duplex, b: Duplex): void {
  const teardown = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', teardown).on('close', teardown);
  b.on('error', teardown).on('close', teardown);
  a.pipe(b);
  b.pipe(a);
}

/** Tracks sockets so close() can end tunnels that are still open. */
function socketTracker(): { add(socket: Duplex): void; destroyAll(): void } {
  const sockets = new Set<Duplex>();
  return {
    add(socket) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function listenOnLoopback(server: import('node:net').Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** `host:port` → [host, port], IPv6 brackets removed. */
function splitHostPort(authority: string, defaultPort: number): [string, number] {
  const match = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$/.exec(authority);
  if (match === null) return [authority, defaultPort];
  const host = match[1] ?? match[3] ?? authority;
  const port = Number(match[2] ?? match[4] ?? defaultPort);
  return [host, port];
}

export async function startHttpProxy(options: ProxyOptions = {}): Promise<RunningHttpProxy> {
  const stats: HttpProxyStats = { connections: 0, tunnels: 0, forwarded: 0, rejectedAuth: 0, targets: [] };
  const tracker = socketTracker();
  const expected =
    options.auth === undefined ? undefined : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  const authorized = (req: IncomingMessage): boolean => expected === undefined || req.headers['proxy-authorization'] === expected;
  const authRequired = 'Proxy-Authenticate: Basic realm="relayq-test"';

  const listener: RequestListener = (req, res) => {
    // Absolute-form: the request line carries the whole target URL.
    if (!authorized(req)) {
      stats.rejectedAuth += 1;
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="relayq-test"', 'content-length': 0 }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      req.resume();
      res.writeHead(400, { 'content-type': 'text/plain' }).end('absolute-form http:// URL expected\n');
      return;
    }
    const [host, port] = splitHostPort(target.host, 80);
    stats.forwarded += 1;
    stats.targets.push(`${host}:${port}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const path = `${target.pathname}${target.search}`;
    const upstream = httpRequest({ host, port, method: req.method, path, headers });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': 0 }).end();
      else res.destroy();
    });
    // The client went away before the whole answer: the target sees its connection close too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
  const server = options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener);

  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    stats.connections += 1;
    tracker.add(socket);
  });

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy());
    if (!authorized(req)) {
      stats.rejectedAuth += 1;
      client.end(`HTTP/1.1 407 Proxy Authentication Required\r\n${authRequired}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = splitHostPort(req.url ?? '', 443);
    stats.targets.push(`${host}:${port}`);
    const upstream = netConnect({ host, port });
    tracker.add(upstream);
    upstream.once('error', () => {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    });
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      stats.tunnels += 1;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      relay(client, upstream);
    });
  });

  const port = await listenOnLoopback(server);
  return {
    port,
    url: (credentials) => proxyUrl(options.tls === undefined ? 'http' : 'https', port, credentials ?? options.auth),
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        tracker.destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** Reads exactly `length` bytes from a paused socket; rejects when the socket ends first. */
function readBytes(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('readable', attempt);
      socket.off('close', onClose);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the client closed the connection during the SOCKS5 handshake'));
    };
    function attempt(): void {
      const chunk = socket.read(length) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      if (chunk.length < length) reject(new Error('the client sent a truncated SOCKS5 message'));
      else resolve(chunk);
    }
    socket.on('readable', attempt);
    socket.once('close', onClose);
    attempt();
  });
}

const SOCKS_VERSION = 0x05;
const METHOD_NO_AUTH = 0x00;
const METHOD_USER_PASS = 0x02;
const METHOD_NONE_ACCEPTABLE = 0xff;
const REPLY_SUCCEEDED = 0x00;
const REPLY_GENERAL_FAILURE = 0x01;
const REPLY_HOST_UNREACHABLE = 0x04;
const REPLY_CONNECTION_REFUSED = 0x05;
const REPLY_COMMAND_NOT_SUPPORTED = 0x07;
const REPLY_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

/** A reply with bound address 0.0.0.0:0 (clients do not use it for CONNECT). */
function socksReply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}

function ipv6FromBytes(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

export async function startSocks5Proxy(options: ProxyOptions = {}): Promise<RunningSocks5Proxy> {
  const stats: Socks5Stats = { connections: 0, tunnels: 0, authFailures: 0, targets: [] };
  const tracker = socketTracker();

  async function negotiate(client: Socket): Promise<void> {
    // Greeting: VER NMETHODS METHODS...
    const [version, methodCount] = await readBytes(client, 2);
    if (version !== SOCKS_VERSION) throw new Error(`not a SOCKS5 client (version ${version})`);
    const methods = await readBytes(client, methodCount ?? 0);
    const wanted = options.auth === undefined ? METHOD_NO_AUTH : METHOD_USER_PASS;
    if (!methods.includes(wanted)) {
      stats.authFailures += 1;
      client.end(Buffer.from([SOCKS_VERSION, METHOD_NONE_ACCEPTABLE]));
      return;
    }
    client.write(Buffer.from([SOCKS_VERSION, wanted]));

    if (options.auth !== undefined) {
      // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD
      const [, userLength] = await readBytes(client, 2);
      const username = (await readBytes(client, userLength ?? 0)).toString('utf8');
      const [passwordLength] = await readBytes(client, 1);
      const password = (await readBytes(client, passwordLength ?? 0)).toString('utf8');
      if (username !== options.auth.username || password !== options.auth.password) {
        stats.authFailures += 1;
        client.end(Buffer.from([0x01, 0x01]));
        return;
      }
      client.write(Buffer.from([0x01, 0x00]));
    }

    // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
    const [, command, , addressType] = await readBytes(client, 4);
    let target: SocksTarget;
    if (addressType === 0x01) {
      const address = [...(await readBytes(client, 4))].join('.');
      target = { host: address, port: (await readBytes(client, 2)).readUInt16BE(0), addressType: 'ipv4' };
    } else if (addressType === 0x03) {
      const [nameLength] = await readBytes(client, 1);
      const name = (await readBytes(client, nameLength ?? 0)).toString('utf8');
      target = { host: name, port: (await readBytes(client, 2)).readUInt16BE(0), addressType: 'domain' };
    } else if (addressType === 0x04) {
      const address = ipv6FromBytes(await readBytes(client, 16));
      target = { host: address, port: (await readBytes(client, 2)).readUInt16BE(0), addressType: 'ipv6' };
    } else {
      client.end(socksReply(REPLY_ADDRESS_TYPE_NOT_SUPPORTED));
      return;
    }
    stats.targets.push(target);
    if (command !== 0x01) {
      client.end(socksReply(REPLY_COMMAND_NOT_SUPPORTED));
      return;
    }

    const upstream = netConnect({ host: target.host, port: target.port });
    tracker.add(upstream);
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      const code =
        error.code === 'ECONNREFUSED'
          ? REPLY_CONNECTION_REFUSED
          : error.code === 'ENOTFOUND' || error.code === 'EHOSTUNREACH'
            ? REPLY_HOST_UNREACHABLE
            : REPLY_GENERAL_FAILURE;
      client.end(socksReply(code));
    });
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      stats.tunnels += 1;
      client.write(socksReply(REPLY_SUCCEEDED));
      relay(client, upstream);
    });
  }

  const server = createNetServer((client) => {
    stats.connections += 1;
    tracker.add(client);
    client.on('error', () => client.destroy());
    negotiate(client).catch(() => client.destroy());
  });

  const port = await listenOnLoopback(server);
  return {
    port,
    url: (scheme, credentials) => proxyUrl(scheme, port, credentials ?? options.auth),
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        tracker.destroyAll();
        server.close(() => resolve());
      }),
  };
}
