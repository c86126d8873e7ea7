/**
 * `relayq worker --metrics-port N`: a small HTTP server answering `GET /metrics` with the whole
 * system's view (read from Redis) and this process's own metrics (its upstream latency
 * histogram), so a deployment of workers alone can be scraped. Behind the config's
 * `server.metrics.token` when one is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsChallenge, presentsToken } from './bearer.ts';

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  token?: string;
  onError?: (error: unknown) => void;
}

export interface RunningMetricsServer {
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const { registry } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: this server answers GET /metrics only\n');
      return;
    }
    if (!presentsToken(request.headers.authorization, options.token)) {
      response
        .writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': metricsChallenge })
        .end("a bearer token is needed (the config's server.metrics.token)\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.onError?.(error);
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable: Redis does not answer\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
