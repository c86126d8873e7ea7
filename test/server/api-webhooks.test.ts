/**
 * Webhooks through relayq's own /api: `POST /api/batches?webhook=URL` attaches a callback; the
 * batch's end event reaches a real receiver on 127.0.0.1, signed with the tenant's secret; a URL
 * the guard refuses is a 400 before any batch is made. The refusal of private addresses through
 * the delivery path, with the resolver and the socket opener stubbed, is in
 * test/webhooks/address-guard.test.ts; here the refused URL is one no name is resolved for.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentSecret } from '../../src/webhooks/signing-secrets.ts';
import { anthropicBatchLine, promptText } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('/api webhooks', () => {
  let server: TestServer;
  let receiver: Server;
  let receiverUrl = '';
  const received: Received[] = [];
  let key = '';

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    server = await startTestServer({ config: { webhooks: { allowPrivateNetworks: true } } });
    key = await server.createKey('carol');
  });

  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const submit = (query: string, body: string) =>
    fetch(`${server.url}/api/batches${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });

  it('delivers the batch end event of an /api submit, signed with the tenant secret', async () => {
    const input = Array.from({ length: 3 }, (_, i) => anthropicBatchLine(`w${i}`, promptText(i))).join('\n');
    const response = await submit(`?webhook=${encodeURIComponent(receiverUrl)}`, input);
    expect(response.status).toBe(201);
    const { batch } = (await response.json()) as { batch: { id: string; webhooks: string[] } };
    expect(batch.webhooks).toEqual([receiverUrl]);
    for (let i = 0; received.length === 0 && i < 400; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(received).toHaveLength(1);
    const [delivery] = received;
    const secret = await currentSecret(server.ctx.redis, server.ctx.keys, 'carol', undefined);
    const event = new Webhook(secret).verify(delivery?.body ?? '', {
      'webhook-id': String(delivery?.headers['webhook-id']),
      'webhook-timestamp': String(delivery?.headers['webhook-timestamp']),
      'webhook-signature': String(delivery?.headers['webhook-signature']),
    }) as { type: string; data: { id: string } };
    expect(event.type).toBe('batch.completed');
    expect(event.data.id).toBe(batch.id);
  });

  it('attaches metadata.webhook_url of an OpenAI batches.create', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const before = received.length;
    const input = Array.from({ length: 2 }, (_, i) => anthropicBatchLine(`o${i}`, promptText(i))).join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(input), 'in.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { webhook_url: receiverUrl },
    });
    for (let i = 0; received.length === before && i < 400; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(received).toHaveLength(before + 1);
    const event = await client.webhooks.unwrap(
      received[before]?.body ?? '',
      received[before]?.headers as Record<string, string>,
      await currentSecret(server.ctx.redis, server.ctx.keys, 'carol', undefined),
    );
    expect(event).toMatchObject({ type: 'batch.completed', data: { id: batch.id } });
  });

  it('refuses a webhook URL the guard rejects with a 400 that says why, and makes no batch', async () => {
    const guarded = await startTestServer({ worker: false });
    try {
      const other = await guarded.createKey('dave');
      const response = await fetch(`${guarded.url}/api/batches?webhook=${encodeURIComponent('ftp://hooks.example/hook')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other}` },
        body: anthropicBatchLine('x', promptText(1)),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('invalid_request');
      expect(body.error.message).toMatch(/must be http:\/\/ or https:\/\//);
      const list = await fetch(`${guarded.url}/api/batches`, { headers: { authorization: `Bearer ${other}` } });
      expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    } finally {
      await guarded.close();
    }
  });
});
