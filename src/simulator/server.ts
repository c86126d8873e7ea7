/**
 * The upstream simulator: a node:http server that speaks the providers' APIs (Anthropic first),
 * with their rate limits, errors and faults, plus `/_sim/stats`, `/_sim/reset`, `/_sim/health`.
 * The per-request path is kept lean: benchmarks push thousands of requests a second through it.
 *
 * Adding a provider: write providers/<name>.ts exporting a `SimulatedProvider` whose paths route
 * to `pipelineHandler(wire, target)`, with `wire` the provider's `WireFormat` (pipeline.ts: where
 * its key is, its body rules, error bodies, rate-limit headers, answers and stream framing; the
 * request sequence, buckets, faults, answers and stats are shared), and list it in `providers`
 * below. The wire code stays the simulator's own, independent of `src/providers`: it is the
 * second opinion on the formats relayq's executors speak.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseSimulatorConfig, type SimulatorConfigInput } from './config.ts';
import { Exchange } from './exchange.ts';
import { anthropicProvider } from './providers/anthropic.ts';
import { geminiProvider } from './providers/gemini.ts';
import { bedrockProvider } from './providers/bedrock.ts';
import { openaiProvider } from './providers/openai.ts';
import { azureOpenAIProvider } from './providers/azure-openai.ts';
import { createRuntime, type ExchangeHandler, type SimulatedProvider, type SimulatorRuntime } from './runtime.ts';
import type { SimulatorStats } from './stats.ts';
import { isTokenEndpoint, serveTokenEndpoint } from './token-endpoints.ts';
import type { TokenIssuer } from './tokens.ts';

export type { SimulatorStats, KeyStats } from './stats.ts';
export type { SimulatorConfig, SimulatorConfigInput } from './config.ts';

export interface RunningSimulator {
  /** `http://host:port`, no trailing slash: the base URL to give an account. */
  url: string;
  port: number;
  stats(): SimulatorStats;
  /** The token endpoints' issuer: its stats per token family, and `revoke`. */
  tokens: TokenIssuer;
  /** Zeroes the stats, fills every bucket, restarts the fault sequence from its seed. */
  reset(): void;
  close(): Promise<void>;
}

export interface SimulatorListenOptions {
  /** 0 or left out: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve HTTPS with this key and certificate (PEM), for clients that take https:// only (Entra ID's authority). */
  tls?: { key: string; cert: string };
}

/** The largest body accepted (Anthropic's Messages limit); bigger ones answer 413. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Providers in routing order; the first one answers paths nobody serves. */
const providers: readonly SimulatedProvider[] = [anthropicProvider, geminiProvider, bedrockProvider, openaiProvider, azureOpenAIProvider];
const defaultProvider: SimulatedProvider = anthropicProvider;

export async function startSimulator(config: SimulatorConfigInput = {}, listen: SimulatorListenOptions = {}): Promise<RunningSimulator> {
  const runtime = createRuntime(parseSimulatorConfig(config));
  const handle = (req: IncomingMessage, res: ServerResponse): void => onRequest(runtime, req, res);
  const server = listen.tls === undefined ? createServer(handle) : createTlsServer(listen.tls, handle);
  // Longer than clients' keep-alive so the server is never the side that closes an idle socket
  // a client is about to reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `${listen.tls === undefined ? 'http' : 'https'}://${urlHost}:${port}`,
    port,
    stats: () => runtime.stats.snapshot(),
    tokens: runtime.tokens,
    reset: () => runtime.reset(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        runtime.wakeAll();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function onRequest(runtime: SimulatorRuntime, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.startsWith('/_sim/')) {
    control(runtime, path, req, res);
    return;
  }
  if (isTokenEndpoint(path)) {
    serveTokenEndpoint(runtime, path, req, res);
    return;
  }

  let handler: ExchangeHandler | undefined;
  let provider = defaultProvider;
  for (const candidate of providers) {
    handler = candidate.route(path);
    if (handler !== undefined) {
      provider = candidate;
      break;
    }
  }
  const exchange = new Exchange(req, res, path, runtime.newId('req'));
  runtime.stats.started();
  res.once('close', () => finish(runtime, exchange));
  const run = handler ?? provider.notFound;

  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) exchange.bodyTooLarge = true;
    else chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (!exchange.bodyTooLarge && chunks.length > 0) {
      exchange.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    }
    let result: void | Promise<void>;
    try {
      result = run(exchange, runtime);
    } catch (error) {
      failed(provider, exchange, error);
      return;
    }
    if (result !== undefined) result.catch((error: unknown) => failed(provider, exchange, error));
  });
}

/** A bug in a handler: answer 500 if nothing went out yet, else drop the connection. */
function failed(provider: SimulatedProvider, exchange: Exchange, error: unknown): void {
  const message = `simulator error: ${error instanceof Error ? error.message : String(error)}`;
  if (!exchange.res.headersSent && !exchange.gone) provider.internalError(exchange, message);
  else exchange.drop('dropped');
}

/** Records a finished request and frees what it held, once its response has closed. */
function finish(runtime: SimulatorRuntime, exchange: Exchange): void {
  if (!exchange.res.writableFinished && !exchange.closedOnPurpose) {
    exchange.status = 'aborted';
    exchange.outcome = 'errors';
  }
  runtime.stats.finished(exchange);
  exchange.release?.();
}

function control(runtime: SimulatorRuntime, path: string, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const reply = (status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (path === '/_sim/stats' && req.method === 'GET') {
    reply(200, runtime.stats.snapshot());
    return;
  }
  if (path === '/_sim/reset' && req.method === 'POST') {
    runtime.reset();
    reply(200, { ok: true });
    return;
  }
  if (path === '/_sim/tokens' && req.method === 'GET') {
    reply(200, runtime.tokens.stats());
    return;
  }
  if (path === '/_sim/health' && req.method === 'GET') {
    reply(200, { ok: true });
    return;
  }
  reply(404, { error: `unknown simulator endpoint ${req.method ?? ''} ${path}` });
}
