/**
 * relayq's own /api over real HTTP against a running server + worker + the simulator, with a
 * real Redis: submit (streamed), status (the same object as `relayq status --json`), results in
 * every format and order, lifecycle, retry, accounts, usage, errors and tenant isolation.
 */
import { request as httpRequest } from 'node:http';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { runCli } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig } from '../helpers/files.ts';
import { testRedisUrl } from '../helpers/redis.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Status {
  id: string;
  status: string;
  tenant: string | null;
  counts: Record<string, number>;
  errors: Record<string, number>;
  accounts: Record<string, number>;
  rejected_lines: { line: number; error: string }[];
}

async function until<T>(check: () => Promise<T | undefined | null | false>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('/api', () => {
  let server: TestServer;
  let alice = '';
  let bob = '';
  let admin = '';
  const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => anthropicBatchLine(`${prefix}${i}`, promptText(i)));

  const call = async (method: string, path: string, key: string | null, body?: string | Buffer, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      body,
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // JSONL or empty
    }
    return { status: response.status, text, json: json as Record<string, unknown>, headers: response.headers };
  };
  const submit = async (key: string, body: string, query = '') => call('POST', `/api/batches${query}`, key, body);
  const status = async (key: string, id: string) => (await call('GET', `/api/batches/${id}`, key)).json as unknown as Status;
  const ended = (key: string, id: string) =>
    until(async () => {
      const s = await status(key, id);
      return ['completed', 'cancelled', 'expired', 'failed'].includes(s.status) && s.counts.pending === 0 && s;
    });

  beforeAll(async () => {
    server = await startTestServer({ config: { server: { maxUploadBytes: 64 * 1024 } } });
    alice = await server.createKey('alice');
    bob = await server.createKey('bob');
    admin = await server.createKey('ops', { admin: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 without a key, with an unknown one and with a revoked one, in relayq shape', async () => {
    const revoked = await server.createKey('gone');
    const { revokeApiKey } = await import('../../src/tenants/api-keys.ts');
    await revokeApiKey(server.ctx.redis, server.ctx.keys, 'gone');
    for (const key of [null, 'rq_nope', revoked]) {
      const answer = await call('GET', '/api/batches', key);
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: { type: 'authentication_error', message: expect.stringContaining('API key') } });
    }
    const viaHeader = await call('GET', '/api/batches', null, undefined, { 'x-api-key': alice });
    expect(viaHeader.status).toBe(200);
  });

  it('submits a streamed file, reports rejected lines by number, and shows the counts relayq status --json shows', async () => {
    const input = lines(30, 'a');
    input.splice(5, 0, '{"custom_id": "broken", "params": ');
    input.splice(9, 0, JSON.stringify({ params: { model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } }));
    const answer = await submit(alice, `${input.join('\n')}\n`, '?name=mine.jsonl&tag=team%3Dsearch&tag=run%3D1');
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ accepted: 30, rejected: 2, lines_read: 32, input_format: 'anthropic-batch' });
    const rejected = answer.json.rejected_lines as { line: number }[];
    expect(rejected.map((reject) => reject.line)).toEqual([6, 10]);
    const id = (answer.json.batch as { id: string }).id;
    expect(answer.json.batch).toMatchObject({
      tenant: 'alice',
      source: 'mine.jsonl',
      source_path: null,
      metadata: { team: 'search', run: '1' },
    });

    const done = await ended(alice, id);
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: 30, succeeded: 30, rejected: 2, pending: 0 },
      accounts: { sim: 30 },
    });
    expect(done.rejected_lines.map((reject) => reject.line)).toEqual([6, 10]);

    // The command line, on the same Redis and prefix, prints the same object.
    const dir = tempDir('relayq-api-status');
    const config = writeConfig(dir, { redis: { prefix: server.ctx.config.redis.prefix }, accounts: server.ctx.config.accounts });
    const cli = await runCli(['status', id, '--json', '-c', config], { env: { REDIS_URL: testRedisUrl() } });
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as Status & { rate_per_s: number };
    const fromApi = (await status(alice, id)) as Status & { rate_per_s: number };
    expect({ ...fromApi, rate_per_s: 0 }).toEqual({ ...fromCli, rate_per_s: 0 });
  });

  it('takes the file as a multipart/form-data file too', async () => {
    const form = new FormData();
    form.append('file', new Blob([lines(3, 'm').join('\n')]), 'form.jsonl');
    const answer = await fetch(`${server.url}/api/batches?name=form.jsonl`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: form,
    });
    expect(answer.status).toBe(201);
    const { batch, accepted } = (await answer.json()) as { batch: { id: string; source: string }; accepted: number };
    expect(accepted).toBe(3);
    expect(batch.source).toBe('form.jsonl');
    expect((await ended(alice, batch.id)).counts.succeeded).toBe(3);
    const noFile = new FormData();
    noFile.append('purpose', 'batch');
    const refused = await fetch(`${server.url}/api/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: noFile,
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('holds no file');
  });

  it('streams results in every format and order, each prompt answered correctly', async () => {
    const input = lines(12, 'r');
    input[3] = anthropicBatchLine('r3', 'fails every time [[sim:fault=invalid]]');
    const id = ((await submit(alice, input.join('\n'))).json.batch as { id: string }).id;
    await ended(alice, id);

    const native = await call('GET', `/api/batches/${id}/results?order=input`, alice);
    expect(native.status).toBe(200);
    expect(native.headers.get('content-type')).toContain('application/x-ndjson');
    const records = native.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { custom_id: string; status: string; response?: { body: { content: { text: string }[] } } });
    expect(records.map((record) => record.custom_id)).toEqual(input.map((_, i) => `r${i}`));
    for (const [i, record] of records.entries()) {
      if (i === 3) expect(record.status).toBe('errored');
      else expect(record.response?.body.content[0]?.text).toBe(simulatedAnswer(promptText(i)));
    }

    const openai = await call('GET', `/api/batches/${id}/results?format=openai&errors=exclude`, alice);
    expect(openai.text.trim().split('\n')).toHaveLength(11);
    const openaiErrors = await call('GET', `/api/batches/${id}/results?format=openai&errors=only`, alice);
    expect(
      openaiErrors.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).custom_id),
    ).toEqual(['r3']);
    const anthropic = await call('GET', `/api/batches/${id}/results?format=anthropic&order=completion`, alice);
    const anthropicLines = anthropic.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(anthropicLines).toHaveLength(12);
    expect(anthropicLines.find((line) => line.custom_id === 'r3').result.type).toBe('errored');

    const bad = await call('GET', `/api/batches/${id}/results?format=csv`, alice);
    expect(bad.status).toBe(400);
    expect((bad.json.error as { type: string }).type).toBe('invalid_request');
  });

  it("keeps tenants apart: another tenant's key gets 404 for everything of the batch, admins see all", async () => {
    const id = ((await submit(alice, lines(3, 't').join('\n'))).json.batch as { id: string }).id;
    for (const [method, path] of [
      ['GET', `/api/batches/${id}`],
      ['GET', `/api/batches/${id}/results`],
      ['POST', `/api/batches/${id}/cancel`],
      ['POST', `/api/batches/${id}/pause`],
      ['POST', `/api/batches/${id}/resume`],
      ['POST', `/api/batches/${id}/retry`],
    ] as const) {
      const answer = await call(method, path, bob);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.json).toEqual({ error: { type: 'not_found', message: `no batch ${id}` } });
    }
    // The same answer as for a batch that does not exist.
    expect((await call('GET', '/api/batches/batch_zzzzzzzz0123456789abcdef', bob)).json).toEqual({
      error: { type: 'not_found', message: 'no batch batch_zzzzzzzz0123456789abcdef' },
    });
    expect((await call('GET', '/api/batches/not-an-id', bob)).status).toBe(404);

    const bobs = (await call('GET', '/api/batches?limit=100', bob)).json as { data: unknown[] };
    expect(bobs.data).toEqual([]);
    const alices = (await call('GET', '/api/batches?limit=100', alice)).json as { data: { id: string; tenant: string }[] };
    expect(alices.data.length).toBeGreaterThanOrEqual(3);
    expect(alices.data.every((batch) => batch.tenant === 'alice')).toBe(true);
    expect((await call('GET', `/api/batches/${id}`, admin)).status).toBe(200);
  });

  it('pages through batches newest first with after/before', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(((await submit(bob, lines(1, `p${i}-`).join('\n'))).json.batch as { id: string }).id);
    const newest = [...ids].reverse();
    const first = (await call('GET', '/api/batches?limit=2', bob)).json as { data: { id: string }[]; has_more: boolean; last_id: string };
    expect(first.data.map((batch) => batch.id)).toEqual(newest.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = (await call('GET', `/api/batches?limit=10&after=${first.last_id}`, bob)).json as {
      data: { id: string }[];
      has_more: boolean;
    };
    expect(second.data.map((batch) => batch.id)).toEqual(newest.slice(2));
    expect(second.has_more).toBe(false);
    const back = (await call('GET', `/api/batches?limit=10&before=${newest[2]}`, bob)).json as { data: { id: string }[] };
    expect(back.data.map((batch) => batch.id)).toEqual(newest.slice(0, 2));
    expect((await call('GET', '/api/batches?limit=0', bob)).status).toBe(400);
  });

  it('pauses, resumes and cancels; what does not apply is a 409 that says why', async () => {
    // No worker here: nothing of the batch runs, so every step is certain.
    const idle = await startTestServer({ worker: false });
    try {
      const key = await idle.createKey('carol');
      const post = (path: string) => fetch(`${idle.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      const submitted = await fetch(`${idle.url}/api/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: lines(40, 'c').join('\n'),
      });
      const id = ((await submitted.json()) as { batch: { id: string } }).batch.id;
      const paused = await post(`/api/batches/${id}/pause`);
      expect(await paused.json()).toMatchObject({ changed: true, from: 'in_progress', removed: 40, batch: { status: 'paused' } });
      // Pausing a paused batch sweeps again (nothing left to take out).
      const pausedAgain = await post(`/api/batches/${id}/pause`);
      expect(await pausedAgain.json()).toMatchObject({ changed: true, from: 'paused', removed: 0 });
      const resumed = await post(`/api/batches/${id}/resume`);
      expect(await resumed.json()).toMatchObject({ changed: true, from: 'paused', batch: { status: 'in_progress' } });
      const resumedAgain = await post(`/api/batches/${id}/resume`);
      expect(resumedAgain.status).toBe(409);
      expect(await resumedAgain.json()).toEqual({
        error: { type: 'conflict', message: `batch ${id} is in_progress; it cannot be resumed now` },
      });
      const cancelled = await post(`/api/batches/${id}/cancel`);
      expect(await cancelled.json()).toMatchObject({
        changed: true,
        in_flight: 0,
        batch: { status: 'cancelled', counts: { total: 40, cancelled: 40, pending: 0 } },
      });
      const again = await post(`/api/batches/${id}/cancel`);
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ error: { type: 'conflict', message: `batch ${id} is cancelled; it cannot be cancelled now` } });
    } finally {
      await idle.close();
    }
  });

  it('retries errored prompts from the uploaded input file', async () => {
    const input = lines(4, 'e');
    input[1] = anthropicBatchLine('e1', 'fails every time [[sim:fault=invalid]]');
    const id = ((await submit(alice, input.join('\n'))).json.batch as { id: string }).id;
    expect((await ended(alice, id)).counts.errored).toBe(1);
    const noFile = await call('POST', `/api/batches/${id}/retry`, alice);
    expect(noFile.status).toBe(409);
    const retried = await call('POST', `/api/batches/${id}/retry`, alice, input.join('\n'));
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ retried: 1, batch: { id, tenant: 'alice' } });
    const end = await ended(alice, id);
    expect(end.counts).toMatchObject({ total: 4, succeeded: 3, errored: 1 });
  });

  it('refuses oversized, empty and broken-off uploads, and leaves no batch for them', async () => {
    const before = await server.ctx.redis.zcard(server.ctx.keys.batches());
    const big = 'x'.repeat(70 * 1024);
    const declared = await submit(alice, big);
    expect(declared.status).toBe(413);
    expect(declared.json).toEqual({ error: { type: 'payload_too_large', message: expect.stringContaining('65536') } });
    // Chunked, no Content-Length: counted as it streams.
    const streamed = await fetch(`${server.url}/api/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(10 * 1024)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const empty = await submit(alice, '\n\n  \n');
    expect(empty.status).toBe(400);
    expect((empty.json.error as { message: string }).message).toContain('no prompt');

    // A client that goes away mid-upload.
    const uploads = () => readdirSync(tmpdir()).filter((name) => name.startsWith('relayq-upload-')).length;
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/batches',
        headers: { authorization: `Bearer ${alice}`, 'content-length': '50000' },
      });
      req.on('error', () => resolve());
      req.write(`${lines(5, 'half').join('\n')}\n{"custom_id": "cut`, () => setTimeout(() => req.destroy(), 50));
    });
    await until(async () => uploads() === 0);
    expect(await server.ctx.redis.zcard(server.ctx.keys.batches())).toBe(before);
  });

  it('lists, disables and enables accounts with an admin key only', async () => {
    expect((await call('GET', '/api/accounts', alice)).status).toBe(403);
    const list = await call('GET', '/api/accounts', admin);
    expect(list.status).toBe(200);
    expect((list.json.accounts as { id: string }[]).map((account) => account.id)).toContain('sim');
    const disabled = await call('POST', '/api/accounts/sim/disable', admin, JSON.stringify({ reason: 'maintenance' }), {
      'content-type': 'application/json',
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ id: 'sim', enabled: false, health: { status: 'disabled', reason: 'maintenance' } });
    const enabled = await call('POST', '/api/accounts/sim/enable', admin);
    expect(enabled.json).toMatchObject({ id: 'sim', enabled: true });
    expect((await call('POST', '/api/accounts/nope/enable', admin)).status).toBe(404);
  });

  it("reports usage: a tenant sees its own batches' usage, an admin everyone's", async () => {
    const mine = (await call('GET', '/api/usage?by=batch&since=1d', bob)).json as {
      groups: { key: string }[];
      total: { requests: number };
    };
    const bobsBatches = ((await call('GET', '/api/batches?limit=100', bob)).json as { data: { id: string }[] }).data.map(
      (batch) => batch.id,
    );
    expect(mine.groups.length).toBeGreaterThan(0);
    expect(mine.groups.every((group) => bobsBatches.includes(group.key))).toBe(true);
    const all = (await call('GET', '/api/usage?by=account&since=1d', admin)).json as { total: { requests: number } };
    expect(all.total.requests).toBeGreaterThan(mine.total.requests);
    expect((await call('GET', '/api/usage?since=yesterday', admin)).status).toBe(400);
  });

  it('publishes an OpenAPI document generated from the schemas', async () => {
    const doc = (await call('GET', '/openapi.json', null)).json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
      servers: { url: string }[];
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/batches', '/api/batches/{id}', '/api/batches/{id}/results', '/api/accounts', '/api/usage']),
    );
    expect(doc.paths['/api/batches']).toHaveProperty('post');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Batch', 'BatchStatus', 'Error']));
    expect(doc.servers[0]?.url).toBe(server.url);
  });

  it('never answers with a stack trace', async () => {
    const answer = await call('POST', '/api/accounts/sim/disable', admin, '{"reason": ', { 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(answer.json.error).toMatchObject({ type: 'invalid_request' });
  });
});
