/**
 * Per-account timeouts over real sockets: `firstByteMs` (until response headers), `idleMs`
 * (silence inside the body) and `connectMs` (TCP connect, also to a proxy and for the proxy's
 * answer to CONNECT). Each server here misbehaves in exactly one way; the assertions are about
 * which timeout the error names, never about how long anything took.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeDispatchers } from '../../src/http/dispatchers.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startHttpProxy, startSocks5Proxy } from '../helpers/proxies.ts';
import { call, failureOf, promptRequest, testAccount, type CallMode } from './anthropic-client.ts';
import { startFullBacklogListener, type FullBacklogListener } from './full-backlog.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';

const modes: CallMode[] = ['execute', 'executeStream'];
const short = 300;
const long = 20_000;

let server: LocalServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startLocalServer();
});
afterEach(async () => {
  await closeDispatchers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await server.close();
});

/** Sends the start of an answer and then nothing, keeping the connection open. */
function stopMidBody(res: ServerResponse, stream: boolean): void {
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",' +
        '"role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,' +
        '"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n',
    );
  } else {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
    res.write('{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Half an');
  }
}

/** A TCP server that accepts connections and never writes a byte. */
async function startSilentServer(): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(() => resolve());
      }),
  );
  return { port: (silent.address() as { port: number }).port };
}

async function fullBacklog(): Promise<FullBacklogListener> {
  const listener = await startFullBacklogListener();
  cleanups.push(() => listener.close());
  return listener;
}

describe('timeouts.firstByteMs', () => {
  it.each(modes)('%s: a server that never answers fails as timeout naming firstByteMs', async (mode) => {
    server.handle(() => undefined);
    const account = testAccount({ baseUrl: server.url, timeouts: { firstByteMs: short, idleMs: long } });

    const error = await failureOf(call(mode, promptRequest('no answer'), account));

    expect(error.kind).toBe('timeout');
    expect(error.retryable).toBe(true);
    const host = new URL(server.url).host;
    expect(error.message).toContain(`no response from ${host} within ${short} ms (timeouts.firstByteMs)`);
  });

  it('applies through a proxy too', async () => {
    const simulator: RunningSimulator = await startSimulator({ latencyMs: long });
    cleanups.push(() => simulator.close());
    const proxy = await startHttpProxy();
    cleanups.push(() => proxy.close());
    const account = testAccount({ baseUrl: simulator.url, proxy: proxy.url(), timeouts: { firstByteMs: short } });

    const error = await failureOf(call('execute', promptRequest('slow'), account));

    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/via proxy http:\/\/127\.0\.0\.1:\d+ within 300 ms \(timeouts\.firstByteMs\)/);
    expect(proxy.stats.tunnels).toBe(1);
  });
});

describe('timeouts.idleMs', () => {
  it.each(modes)('%s: a body that stops half-way fails as timeout naming idleMs', async (mode) => {
    server.handle((_req, res) => stopMidBody(res, mode === 'executeStream'));
    const account = testAccount({ baseUrl: server.url, timeouts: { firstByteMs: long, idleMs: short } });

    const error = await failureOf(call(mode, promptRequest('half an answer'), account));

    expect(error.kind).toBe('timeout');
    expect(error.statusCode).toBe(200);
    expect(error.message).toContain(`went silent for more than ${short} ms (timeouts.idleMs)`);
  });
});

describe('timeouts.connectMs', () => {
  it.each(modes)('%s: a connect that hangs fails as timeout naming connectMs', async (mode) => {
    const listener = await fullBacklog();
    const account = testAccount({
      baseUrl: `http://127.0.0.1:${listener.port}`,
      timeouts: { connectMs: short, firstByteMs: long, idleMs: long },
    });

    const error = await failureOf(call(mode, promptRequest('unreachable'), account));

    expect(error.kind).toBe('timeout');
    expect(error.message).toContain(`could not connect to 127.0.0.1:${listener.port} within ${short} ms (timeouts.connectMs)`);
  });

  it.each(['http', 'socks5', 'socks5h'])('bounds the connect to a %s proxy', async (scheme) => {
    const listener = await fullBacklog();
    const proxy = `${scheme}://user:secret-pw@127.0.0.1:${listener.port}`;
    const account = testAccount({
      baseUrl: 'http://127.0.0.1:9',
      proxy,
      timeouts: { connectMs: short, firstByteMs: long, idleMs: long },
    });

    const error = await failureOf(call('execute', promptRequest('unreachable proxy'), account));

    expect(error.kind).toBe('timeout');
    expect(error.message).toContain(`via proxy ${scheme}://127.0.0.1:${listener.port} within ${short} ms (timeouts.connectMs)`);
    expect(error.message).not.toContain('secret-pw');
  });

  it('bounds the wait for an HTTP proxy that accepts but never answers CONNECT', async () => {
    const silent = await startSilentServer();
    const account = testAccount({
      baseUrl: 'http://127.0.0.1:9',
      proxy: `http://127.0.0.1:${silent.port}`,
      timeouts: { connectMs: short, firstByteMs: long, idleMs: long },
    });

    const error = await failureOf(call('executeStream', promptRequest('silent proxy'), account));

    expect(error.kind).toBe('timeout');
    expect(error.message).toContain(`within ${short} ms (timeouts.connectMs)`);
    expect(error.message).toContain('the proxy did not answer CONNECT');
  });

  it('a socks5 proxy reaches a target behind it with the same connect timeout', async () => {
    // Control for the test above: the timeout is about the proxy, not the target.
    const simulator = await startSimulator();
    cleanups.push(() => simulator.close());
    const proxy = await startSocks5Proxy();
    cleanups.push(() => proxy.close());
    const account = testAccount({ baseUrl: simulator.url, proxy: proxy.url('socks5'), timeouts: { connectMs: short } });
    await expect(call('execute', promptRequest('fine'), account)).resolves.toMatchObject({ statusCode: 200 });
  });
});
