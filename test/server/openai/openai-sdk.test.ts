/**
 * The official `openai` SDK, unmodified, against `relayq server` + worker + the simulator:
 * files.create → batches.create → retrieve until it ends → files.content of the output file, every
 * line answering its own prompt; rejected lines as the batch's `errors` with their line numbers;
 * list pagination; cancel mid-way; tenant isolation; the API's errors in OpenAI's shape.
 */
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedAnswer } from '../../../src/simulator/answer.ts';
import { promptText, tempDir } from '../../helpers/files.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

const chatLine = (id: string, text: string) =>
  JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', max_completion_tokens: 50, messages: [{ role: 'user', content: text }] },
  });

/** The API error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  return call.then(
    () => {
      throw new Error('the call was expected to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

async function ended(client: OpenAI, id: string) {
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the OpenAI Files and Batches API, through the openai SDK', () => {
  let server: TestServer;
  let alice: OpenAI;
  let bob: OpenAI;
  const clientOf = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    server = await startTestServer({
      config: (simulatorUrl) => ({
        server: { files: { dir: tempDir('relayq-files'), maxBytes: 256 * 1024 } },
        accounts: [{ id: 'gpt', provider: 'openai', baseUrl: simulatorUrl, apiKey: 'sk-openai-server-test' }],
      }),
    });
    alice = clientOf(await server.createKey('alice'));
    bob = clientOf(await server.createKey('bob'));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs an uploaded file: every line answered, rejected lines reported by number', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => chatLine(`req-${i}`, promptText(i)));
    lines[4] = '{"custom_id": "broken", "method": "POST"';
    lines[9] = chatLine('req-9', 'fails every time [[sim:fault=invalid]]');
    const file = await alice.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl', status: 'processed' });
    expect((await alice.files.retrieve(file.id)).bytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));

    const created = await alice.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { team: 'search' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      metadata: { team: 'search' },
    });
    expect(typeof created.created_at).toBe('number');
    const batch = await ended(alice, created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 19, completed: 18, failed: 1 });
    expect(batch.errors?.data).toEqual([expect.objectContaining({ line: 5, code: 'invalid_request' })]);
    expect(batch.usage?.input_tokens).toBeGreaterThan(0);
    expect(batch.completed_at).toBeGreaterThanOrEqual(batch.created_at);

    const output = await (await alice.files.content(batch.output_file_id as string)).text();
    const answers = output
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            custom_id: string;
            response: { status_code: number; body: { choices: { message: { content: string } }[] } };
          },
      );
    expect(answers).toHaveLength(18);
    for (const answer of answers) {
      const n = Number(answer.custom_id.slice(4));
      expect(answer.response.status_code).toBe(200);
      expect(answer.response.body.choices[0]?.message.content).toBe(simulatedAnswer(promptText(n)));
    }
    const errors = await (await alice.files.content(batch.error_file_id as string)).text();
    expect(
      errors
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).custom_id),
    ).toEqual(['req-9']);
  });

  it('pages through 25+ batches with after and has_more', async () => {
    const file = await bob.files.create({
      file: await toFile(Buffer.from(`${chatLine('p', promptText(1))}\n`), 'one.jsonl'),
      purpose: 'batch',
    });
    const ids: string[] = [];
    for (let i = 0; i < 26; i++)
      ids.push((await bob.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    const firstPage = await bob.batches.list({ limit: 10 });
    expect(firstPage.data).toHaveLength(10);
    expect(firstPage.hasNextPage()).toBe(true);
    const seen: string[] = [];
    for await (const batch of bob.batches.list({ limit: 10 })) seen.push(batch.id);
    expect(seen).toEqual([...ids].reverse());
  });

  it('cancels a batch mid-way', async () => {
    const slowServer = await startTestServer({
      simulator: { latencyMs: 1_500 },
      config: (simulatorUrl) => ({
        server: { files: { dir: tempDir('relayq-files') } },
        worker: { concurrency: 4, attempts: 3 },
        accounts: [{ id: 'gpt', provider: 'openai', baseUrl: simulatorUrl, apiKey: 'sk-openai-server-test' }],
      }),
    });
    try {
      const client = new OpenAI({ apiKey: await slowServer.createKey('carol'), baseURL: `${slowServer.url}/v1`, maxRetries: 0 });
      const slow = Array.from({ length: 40 }, (_, i) => chatLine(`s${i}`, promptText(i)));
      const file = await client.files.create({ file: await toFile(Buffer.from(slow.join('\n')), 'slow.jsonl'), purpose: 'batch' });
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const cancelling = await client.batches.cancel(batch.id);
      expect(['cancelling', 'cancelled']).toContain(cancelling.status);
      const done = await ended(client, batch.id);
      expect(done.status).toBe('cancelled');
      expect(done.cancelled_at).not.toBeNull();
      expect(done.request_counts?.completed).toBeLessThan(40);
      expect((done.request_counts?.completed ?? 0) + (done.request_counts?.failed ?? 0)).toBe(40);
      const again = await client.batches.cancel(batch.id).catch((error: unknown) => error);
      expect(again).toBeInstanceOf(OpenAI.ConflictError);
      expect((again as InstanceType<typeof OpenAI.ConflictError>).headers?.get('x-should-retry')).toBe('false');
    } finally {
      await slowServer.close();
    }
  });

  it('an upload that breaks off stores no file', async () => {
    const before = (await alice.files.list()).data.length;
    const boundary = 'relayq-test-boundary';
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${server.url}/v1/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.apiKey}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': '100000',
        },
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="half.jsonl"\r\ncontent-type: application/jsonl\r\n\r\n`,
      );
      request.write(`${chatLine('h', promptText(1))}\n`, () => setTimeout(() => request.destroy(), 100));
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await alice.files.list()).data).toHaveLength(before);
    // Nor any bytes on disk: the directory holds exactly the stored files.
    const stored = (await alice.files.list()).data.length + (await bob.files.list()).data.length;
    expect(readdirSync(server.ctx.config.server.files.dir)).toHaveLength(stored);
  });

  it("keeps tenants apart: another key gets 404 for a batch and a file; errors in OpenAI's shape", async () => {
    const file = await alice.files.create({
      file: await toFile(Buffer.from(`${chatLine('t', promptText(2))}\n`), 't.jsonl'),
      purpose: 'batch',
    });
    const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await expect(bob.batches.retrieve(batch.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.files.content(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      bob.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await bob.files.list()).data.map((entry) => entry.id)).not.toContain(file.id);
    const notFound = await failure(bob.batches.retrieve(batch.id));
    expect(notFound.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found', message: expect.any(String) });

    await expect(clientOf('rq_not-a-key').batches.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const tooLarge = await failure(
      alice.files.create({ file: await toFile(Buffer.alloc(300 * 1024, 'x'), 'big.jsonl'), purpose: 'batch' }),
    );
    expect(tooLarge.status).toBe(413);
    const wrongPurpose = await failure(alice.files.create({ file: await toFile(Buffer.from('{}\n'), 'x.jsonl'), purpose: 'fine-tune' }));
    expect(wrongPurpose.status).toBe(400);
    expect(wrongPurpose.error).toMatchObject({ param: 'purpose' });
    await expect(alice.files.delete(file.id)).resolves.toMatchObject({ id: file.id, deleted: true });
    await expect(alice.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
