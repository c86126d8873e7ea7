/**
 * `GET /metrics` behind `server.metrics.token`: on `relayq server` (here with an in-process
 * worker, whose latency histogram comes along) and on the worker's own metrics server. A missing
 * or wrong token answers 401 with a Bearer challenge; the right one the metrics.
 */
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentsToken } from '../../src/metrics/bearer.ts';
import { startMetricsServer, type RunningMetricsServer } from '../../src/metrics/metrics-server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const token = 'metrics-token-0123456789';

async function expectRefused(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  expect(await response.text()).not.toContain('relayq_');
}

describe('/metrics on relayq server, with a token', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { server: { metrics: { token } } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 without the token, and the metrics with it', async () => {
    const url = `${server.url}/metrics`;
    await expectRefused(url, {});
    await expectRefused(url, { authorization: `Bearer ${token}x` });
    await expectRefused(url, { authorization: token });
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE relayq_prompts_total counter');
    expect(text).toContain('relayq_workers 1');
    // The in-process worker's own histogram comes with the system's view.
    expect(text).toContain('# TYPE relayq_upstream_request_duration_seconds histogram');
    // Not part of the API document.
    expect(JSON.stringify(await (await fetch(`${server.url}/openapi.json`)).json())).not.toContain('/metrics');
  });
});

describe("the worker's metrics server", () => {
  let metrics: RunningMetricsServer;
  let open: RunningMetricsServer;

  beforeAll(async () => {
    const registry = new Registry();
    new Counter({ name: 'relayq_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    metrics = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, token });
    open = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
  });
  afterAll(async () => {
    await metrics?.close();
    await open?.close();
  });

  it('answers 401 without the token, the metrics with it, and 404 elsewhere', async () => {
    await expectRefused(`${metrics.url}/metrics`, {});
    await expectRefused(`${metrics.url}/metrics`, { authorization: 'Bearer nope' });
    const response = await fetch(`${metrics.url}/metrics`, { headers: { authorization: `bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await response.text()).toContain('relayq_test_total 3');
    expect((await fetch(`${metrics.url}/other`)).status).toBe(404);
  });

  it('needs no token when the config sets none', async () => {
    const response = await fetch(`${open.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('relayq_test_total 3');
  });

  it('compares the token whole', () => {
    expect(presentsToken(`Bearer ${token}`, token)).toBe(true);
    expect(presentsToken(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(presentsToken(undefined, token)).toBe(false);
    expect(presentsToken(undefined, undefined)).toBe(true);
  });
});
