/**
 * `relayq server` and `relayq keys` as processes: the command line from its sources through
 * bin/run-ts.js, a real Redis, real HTTP on 127.0.0.1.
 */
import { request as httpRequest } from 'node:http';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/lib/free-port.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

describe('relayq server and relayq keys', () => {
  let simulator: RunningSimulator;
  let redis: Redis;
  const prefix = testPrefix('srvcmd');
  const dir = tempDir('relayq-server-cmd');
  let config: string;
  const env = () => ({ REDIS_URL: testRedisUrl() });

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1 });
    redis = testRedis();
    config = writeConfig(dir, {
      redis: { prefix },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-srv' }],
    });
  });

  afterAll(async () => {
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('keys create prints the key last, list shows no secret, revoke turns it off', async () => {
    const created = await runCli(['keys', 'create', '--name', 'team-a', '--tenant', 'acme', '-c', config], { env: env() });
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1) ?? '';
    expect(key).toMatch(/^rq_[A-Za-z0-9_-]{43}$/);

    const again = await runCli(['keys', 'create', '--name', 'team-a', '-c', config], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists already');
    const bad = await runCli(['keys', 'create', '--name', 'no spaces', '-c', config], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/relayq: key name "no spaces" is not valid/);

    const listed = await runCli(['keys', 'list', '--json', '-c', config], { env: env() });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ keys: [{ name: 'team-a', tenant: 'acme', admin: false, revoked: false }] });
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(key.slice(3, 20));
    const table = await runCli(['keys', 'list', '-c', config], { env: env() });
    expect(table.stdout).toMatch(/team-a\s+acme\s+no/);

    const revoked = await runCli(['keys', 'revoke', 'team-a', '-c', config], { env: env() });
    expect(revoked.code).toBe(0);
    const after = JSON.parse((await runCli(['keys', 'list', '--json', '-c', config], { env: env() })).stdout);
    expect(after.keys[0]).toMatchObject({ name: 'team-a', revoked: true });
    const unknown = await runCli(['keys', 'revoke', 'nobody', '-c', config], { env: env() });
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('no API key named "nobody"');
  });

  it('serves /healthz and /api with a worker, and exits 0 on SIGTERM after finishing in-flight requests', async () => {
    const created = await runCli(['keys', 'create', '--name', 'runner', '-c', config], { env: env() });
    const key = created.stdout.trim().split('\n').at(-1) ?? '';
    const port = await freePort();
    const child = spawnCli(['server', '--port', String(port), '--worker', '-c', config], { env: env() });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      while (!stderr.includes('listening on')) {
        if (child.exitCode !== null) throw new Error(`server exited early: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const url = `http://127.0.0.1:${port}`;
      expect(stderr).toContain(`listening on ${url}`);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      // A batch through /api, run by the server's own worker.
      const file = writePromptFile(
        dir,
        Array.from({ length: 5 }, (_, i) => anthropicBatchLine(`p${i}`, promptText(i))),
      );
      const { readFile } = await import('node:fs/promises');
      const submitted = await fetch(`${url}/api/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: await readFile(file),
      });
      expect(submitted.status).toBe(201);
      const { batch } = (await submitted.json()) as { batch: { id: string } };
      for (;;) {
        const status = (await (await fetch(`${url}/api/batches/${batch.id}`, { headers: { 'x-api-key': key } })).json()) as {
          status: string;
          counts: { succeeded: number };
        };
        if (status.status === 'completed') {
          expect(status.counts.succeeded).toBe(5);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      // An upload in flight when SIGTERM comes: it is taken to its end and answered, while new
      // connections are refused.
      const upload = Array.from({ length: 50 }, (_, i) => anthropicBatchLine(`late${i}`, promptText(i)));
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/batches',
        // 100-continue: the server sends it as it takes the request in, so the signal below comes
        // after the request reached the server, however slow the machine.
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', expect: '100-continue' },
      });
      const taken = new Promise<void>((resolve) => request.once('continue', () => resolve()));
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        request.on('response', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on('error', reject);
      });
      request.flushHeaders();
      await taken;
      await new Promise<void>((resolve) => request.write(`${upload.slice(0, 25).join('\n')}\n`, () => resolve()));
      child.kill('SIGTERM');
      // Until the signal is handled /healthz still answers 200; then new connections are refused.
      let refused: number | string = 200;
      while (refused === 200) {
        refused = await fetch(`${url}/healthz`).then(
          (response) => response.status,
          () => 'refused',
        );
      }
      expect([503, 'refused']).toContain(refused);
      request.end(`${upload.slice(25).join('\n')}\n`);
      const late = await answered;
      expect(late.status).toBe(201);
      expect(JSON.parse(late.body)).toMatchObject({ accepted: 50, rejected: 0 });
      expect(await exited).toBe(0);
      expect(stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
