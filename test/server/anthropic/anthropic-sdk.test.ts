/**
 * The official `@anthropic-ai/sdk`, unmodified, against `relayq server` + worker + the simulator:
 * messages.batches.create → retrieve until ended → `for await (… of results())`, every result
 * answering its own prompt; list pagination; cancel mid-way; delete; tenant isolation; the first
 * bad request named in a 400; errors in Anthropic's shape.
 */
import { request as httpRequest } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { promptText } from '../../helpers/files.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

const request = (id: string, text: string) => ({
  custom_id: id,
  params: { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user' as const, content: text }] },
});

async function failure(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  return call.then(
    () => {
      throw new Error('the call was expected to fail');
    },
    (error: unknown) => error as InstanceType<typeof Anthropic.APIError>,
  );
}

async function ended(client: Anthropic, id: string) {
  for (;;) {
    const batch = await client.messages.batches.retrieve(id);
    if (batch.processing_status === 'ended') return batch;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the Anthropic Message Batches API, through @anthropic-ai/sdk', () => {
  let server: TestServer;
  let alice: Anthropic;
  let bob: Anthropic;
  const clientOf = (apiKey: string, url = server.url) => new Anthropic({ apiKey, baseURL: url, maxRetries: 0 });

  beforeAll(async () => {
    server = await startTestServer({ config: { server: { maxUploadBytes: 512 * 1024 } } });
    alice = clientOf(await server.createKey('alice'));
    bob = clientOf(await server.createKey('bob'));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs a batch and iterates its results, each answering its own prompt', async () => {
    const requests = Array.from({ length: 15 }, (_, i) => request(`r${i}`, promptText(i)));
    requests[6] = request('r6', 'fails every time [[sim:fault=invalid]]');
    const created = await alice.messages.batches.create({ requests });
    expect(created).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, archived_at: null });
    expect(Number.isNaN(Date.parse(created.created_at))).toBe(false);
    const batch = await ended(alice, created.id);
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 14, errored: 1, canceled: 0, expired: 0 });
    expect(batch.results_url).toBe(`${server.url}/v1/messages/batches/${created.id}/results`);
    expect(batch.ended_at).not.toBeNull();
    const seen: string[] = [];
    for await (const result of await alice.messages.batches.results(created.id)) {
      seen.push(result.custom_id);
      const n = Number(result.custom_id.slice(1));
      if (n === 6) {
        expect(result.result.type).toBe('errored');
        continue;
      }
      expect(result.result.type).toBe('succeeded');
      if (result.result.type === 'succeeded') {
        const block = result.result.message.content[0];
        expect(block?.type === 'text' ? block.text : null).toBe(simulatedAnswer(promptText(n)));
      }
    }
    expect(seen).toEqual(requests.map((entry) => entry.custom_id));
    // An ended batch can be deleted; then it is gone.
    await expect(alice.messages.batches.delete(created.id)).resolves.toMatchObject({ id: created.id, type: 'message_batch_deleted' });
    expect((await failure(alice.messages.batches.retrieve(created.id))).status).toBe(404);
  });

  it('pages through 25+ batches', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 26; i++) ids.push((await bob.messages.batches.create({ requests: [request(`p${i}`, promptText(i))] })).id);
    const first = await bob.messages.batches.list({ limit: 10 });
    expect(first.data).toHaveLength(10);
    expect(first.has_more).toBe(true);
    const seen: string[] = [];
    for await (const batch of bob.messages.batches.list({ limit: 10 })) seen.push(batch.id);
    expect(seen).toEqual([...ids].reverse());
  });

  it('cancels a batch mid-way; a batch still running cannot be deleted', async () => {
    const slow = await startTestServer({ simulator: { latencyMs: 1_500 }, config: { worker: { concurrency: 4, attempts: 3 } } });
    try {
      const client = clientOf(await slow.createKey('carol'), slow.url);
      const batch = await client.messages.batches.create({
        requests: Array.from({ length: 40 }, (_, i) => request(`s${i}`, promptText(i))),
      });
      const running = await failure(client.messages.batches.delete(batch.id));
      expect(running.status).toBe(400);
      expect(running.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      const cancelling = await client.messages.batches.cancel(batch.id);
      expect(['canceling', 'ended']).toContain(cancelling.processing_status);
      expect(cancelling.cancel_initiated_at).not.toBeNull();
      const done = await ended(client, batch.id);
      expect(done.request_counts.canceled).toBeGreaterThan(0);
      expect(done.request_counts.succeeded + done.request_counts.canceled).toBe(40);
      let canceled = 0;
      for await (const result of await client.messages.batches.results(batch.id)) if (result.result.type === 'canceled') canceled += 1;
      expect(canceled).toBe(done.request_counts.canceled);
    } finally {
      await slow.close();
    }
  });

  it('a body that breaks off makes no batch', async () => {
    const carol = clientOf(await server.createKey('carol'));
    await new Promise<void>((resolve) => {
      const upload = httpRequest(`${server.url}/v1/messages/batches`, {
        method: 'POST',
        headers: { 'x-api-key': carol.apiKey ?? '', 'content-type': 'application/json', 'content-length': '100000' },
      });
      upload.on('error', () => resolve());
      upload.on('close', () => resolve());
      upload.write(`{"requests": [${JSON.stringify(request('c1', promptText(1)))},`, () => setTimeout(() => upload.destroy(), 100));
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await carol.messages.batches.list()).data).toEqual([]);
  });

  it("keeps tenants apart and answers bad input in Anthropic's shape", async () => {
    const batch = await alice.messages.batches.create({ requests: [request('t', promptText(3))] });
    expect((await failure(bob.messages.batches.retrieve(batch.id))).status).toBe(404);
    expect((await failure(bob.messages.batches.cancel(batch.id))).status).toBe(404);
    expect((await failure(bob.messages.batches.results(batch.id))).status).toBe(404);
    const listed: string[] = [];
    for await (const entry of bob.messages.batches.list()) listed.push(entry.id);
    expect(listed).not.toContain(batch.id);

    // x-api-key (the 0.x SDKs' header) works as well as Bearer.
    const viaHeader = await fetch(`${server.url}/v1/messages/batches/${batch.id}`, {
      headers: { 'x-api-key': alice.apiKey ?? '', 'anthropic-version': '2023-06-01' },
    });
    expect(viaHeader.status).toBe(200);

    const bad = await failure(
      alice.messages.batches.create({ requests: [request('ok', 'fine'), { custom_id: 'has space', params: request('x', 'x').params }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('requests.1') },
    });
    const duplicate = await failure(alice.messages.batches.create({ requests: [request('d', 'a'), request('d', 'b')] }));
    expect(duplicate.status).toBe(400);
    const noMessages = await failure(
      alice.messages.batches.create({ requests: [{ custom_id: 'n', params: { model: 'claude-sonnet-4-5', max_tokens: 5 } as never }] }),
    );
    expect(noMessages.status).toBe(400);
    const tooLarge = await failure(
      alice.messages.batches.create({ requests: Array.from({ length: 40 }, (_, i) => request(`big${i}`, 'x'.repeat(20_000))) }),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.error).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    const unauthenticated = await failure(clientOf('rq_nope').messages.batches.list());
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect((await failure(alice.messages.batches.retrieve('batch_doesnotexist'))).status).toBe(404);
  });
});
