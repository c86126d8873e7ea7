/**
 * The dashboard's pages over HTTP: a prompt's request read back from the input file once its job
 * has left the queue, results downloaded in each export format, the batch list's filters and
 * sorting, tenants' usage, and a batch's hostile tags shown escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitFile } from '../../src/ingest/submit.ts';
import { dashboardClient } from '../helpers/dashboard.ts';
import { tempDir, writePromptFile } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { anthropicLine, until } from '../scheduler/harness.ts';

let server: TestServer;
let client: Awaited<ReturnType<typeof dashboardClient>>;
let batchId: string;
let otherId: string;

async function finished(id: string) {
  await until(async () => {
    const text = await (await client.get(`/live/batches/${id}`)).text();
    return text.includes('>completed<');
  }, `batch ${id} to complete`);
}

describe('dashboard pages', () => {
  beforeAll(async () => {
    server = await startTestServer();
    client = await dashboardClient(server.url, await server.createKey('ops', { admin: true }));
    const dir = tempDir('dashboard-pages');
    const file = writePromptFile(dir, [anthropicLine('first', 'the first question'), anthropicLine('second', 'the second question')]);
    const submit = (path: string, options: { tenant?: string; metadata?: Record<string, string> }) =>
      submitFile(server.ctx.redis, server.ctx.promptQueue, server.ctx.keys, path, { attempts: 1, ...options });
    batchId = (await submit(file, { metadata: { team: 'search', note: '<script>alert(1)</script>' } })).batchId;
    otherId = (await submit(writePromptFile(dir, [anthropicLine('x', 'other')], 'other.jsonl'), { tenant: 'acme' })).batchId;
    await finished(batchId);
    await finished(otherId);
  }, 60_000);
  afterAll(async () => server?.close());

  it("shows a finished prompt's request from its input line, its result and attempts", async () => {
    const page = await (await client.get(`/lookup?batch=${batchId}&custom_id=second`)).text();
    expect(page).toContain('Line 2 of prompts.jsonl');
    expect(page).toContain('the second question');
    expect(page).toContain('id="prompt-status">succeeded<');
    expect(page).toMatch(/<td>attempts<\/td><td>1<\/td>/);
    const missing = await (await client.get(`/lookup?batch=${batchId}&custom_id=nope`)).text();
    expect(missing).toContain('has no prompt with custom_id');
  });

  it('downloads the results in every export format', async () => {
    for (const format of ['native', 'openai', 'anthropic', 'gemini']) {
      const response = await client.get(`/batches/${batchId}/results?format=${format}`);
      expect(response.status, format).toBe(200);
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${batchId}.${format}.jsonl"`);
      const lines = (await response.text()).trim().split('\n');
      expect(lines, format).toHaveLength(2);
      expect(lines[0], format).toContain('first');
    }
    expect((await client.get(`/batches/${batchId}/results?format=csv`)).status).toBe(400);
  });

  it("filters the batch list by tag, tenant and status, sorts it, and escapes a batch's tags", async () => {
    const rows = async (query: string) =>
      [...(await (await client.get(`/batches?${query}`)).text()).matchAll(/data-batch="([^"]+)"/g)].map((m) => m[1]);
    expect(await rows('')).toEqual(expect.arrayContaining([batchId, otherId]));
    expect(await rows('tag=team%3Dsearch')).toEqual([batchId]);
    expect(await rows('tag=alert')).toEqual([batchId]);
    expect(await rows('tenant=acme')).toEqual([otherId]);
    expect(await rows('status=in_progress')).toEqual([]);
    expect(await rows('sort=created&dir=asc')).toEqual([batchId, otherId]);
    expect(await rows('sort=created&dir=desc')).toEqual([otherId, batchId]);
    const page = await (await client.get(`/batches/${batchId}`)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('charts usage by day, model, account, provider and tenant', async () => {
    const page = await (await client.get('/usage?period=24h')).text();
    for (const title of ['By day', 'By model', 'By account', 'By provider', 'By tenant']) expect(page).toContain(title);
    expect(page).toContain('claude-test');
    expect(page).toMatch(/bar-label" title="acme"/);
  });
});
