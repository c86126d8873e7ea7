import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBatchPage } from '../../src/batches/batch-list.ts';
import { getBatch } from '../../src/batches/batch-store.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { authenticate, canSee } from '../../src/server/auth.ts';
import { apiKeyPrefix, createApiKey, findApiKey, hashApiKey, listApiKeys, revokeApiKey } from '../../src/tenants/api-keys.ts';
import { anthropicBatchLine, promptText, tempDir, writePromptFile } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('relayq server: skeleton, keys and tenants', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers /healthz and /readyz, and unknown paths with a 404 in relayq shape', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('not_found');
    expect(body.error.message).toContain('/nope');
  });

  it('makes keys that are stored only as their SHA-256, finds them by either header, and revokes them', async () => {
    const { ctx } = server;
    const { key, info } = await createApiKey(ctx.redis, ctx.keys, { name: 'alice' });
    expect(key.startsWith(apiKeyPrefix)).toBe(true);
    expect(Buffer.from(key.slice(apiKeyPrefix.length), 'base64url')).toHaveLength(32);
    expect(info).toMatchObject({ name: 'alice', tenant: 'alice', admin: false, revoked: false });
    // Nothing in Redis holds the key itself.
    const stored = JSON.stringify([await ctx.redis.hgetall(ctx.keys.apiKeys()), await ctx.redis.hgetall(ctx.keys.apiKeyHashes())]);
    expect(stored).not.toContain(key);
    expect(stored).toContain(hashApiKey(key));

    expect(await authenticate(ctx, { authorization: `Bearer ${key}` })).toEqual({ keyName: 'alice', tenant: 'alice', admin: false });
    expect(await authenticate(ctx, { 'x-api-key': key })).toEqual({ keyName: 'alice', tenant: 'alice', admin: false });
    expect(await authenticate(ctx, {})).toBeNull();
    expect(await authenticate(ctx, { authorization: `Bearer ${key}x` })).toBeNull();
    expect(await authenticate(ctx, { 'x-api-key': 'sk-ant-something' })).toBeNull();

    await expect(createApiKey(ctx.redis, ctx.keys, { name: 'alice' })).rejects.toThrow(/exists already/);
    await expect(createApiKey(ctx.redis, ctx.keys, { name: 'bad name' })).rejects.toThrow(/not valid/);
    const admin = await createApiKey(ctx.redis, ctx.keys, { name: 'ops', tenant: 'acme', admin: true });
    expect(await findApiKey(ctx.redis, ctx.keys, admin.key)).toMatchObject({ name: 'ops', tenant: 'acme', admin: true });

    expect(await revokeApiKey(ctx.redis, ctx.keys, 'alice')).toBe(true);
    expect(await revokeApiKey(ctx.redis, ctx.keys, 'nobody')).toBe(false);
    expect(await authenticate(ctx, { authorization: `Bearer ${key}` })).toBeNull();
    const listed = await listApiKeys(ctx.redis, ctx.keys);
    expect(listed.map(({ name, revoked }) => ({ name, revoked }))).toEqual([
      { name: 'alice', revoked: true },
      { name: 'ops', revoked: false },
    ]);
    expect(JSON.stringify(listed)).not.toContain(hashApiKey(key));
  });

  it('admins see every tenant; others see only their own, never the command line batches', () => {
    const alice = { keyName: 'a', tenant: 'alice', admin: false };
    const admin = { keyName: 'o', tenant: 'ops', admin: true };
    expect(canSee(alice, 'alice')).toBe(true);
    expect(canSee(alice, 'bob')).toBe(false);
    expect(canSee(alice, null)).toBe(false);
    expect(canSee(admin, 'bob')).toBe(true);
    expect(canSee(admin, null)).toBe(true);
  });

  it("keeps the tenant on the batch and pages through a tenant's batches newest first", async () => {
    const { ctx } = server;
    const dir = tempDir('relayq-tenant');
    const file = writePromptFile(dir, [anthropicBatchLine('a', promptText(1))]);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const tenant = i % 2 === 0 ? 'acme' : 'other';
      const report = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, file, { attempts: 1, tenant, sourceName: 'upload.jsonl' });
      if (tenant === 'acme') made.push(report.batchId);
      await new Promise((resolve) => setTimeout(resolve, 2)); // distinct creation times
    }
    const cli = await submitFile(ctx.redis, ctx.promptQueue, ctx.keys, file, { attempts: 1 });
    const first = await getBatch(ctx.redis, ctx.keys, made[0] as string);
    expect(first).toMatchObject({ tenant: 'acme', source: 'upload.jsonl', source_path: null });
    expect((await getBatch(ctx.redis, ctx.keys, cli.batchId))?.tenant).toBeNull();

    const newestFirst = [...made].reverse();
    const page1 = await listBatchPage(ctx.redis, ctx.keys, { tenant: 'acme', limit: 3 });
    expect(page1.batches.map((batch) => batch.id)).toEqual(newestFirst.slice(0, 3));
    expect(page1.hasMore).toBe(true);
    const page2 = await listBatchPage(ctx.redis, ctx.keys, { tenant: 'acme', limit: 3, after: page1.batches.at(-1)?.id });
    expect(page2.batches.map((batch) => batch.id)).toEqual(newestFirst.slice(3));
    expect(page2.hasMore).toBe(false);
    const back = await listBatchPage(ctx.redis, ctx.keys, { tenant: 'acme', limit: 2, before: newestFirst[3] });
    expect(back.batches.map((batch) => batch.id)).toEqual(newestFirst.slice(1, 3));
    expect(back.hasMore).toBe(true);
    const all = await listBatchPage(ctx.redis, ctx.keys, { limit: 100 });
    expect(all.batches).toHaveLength(8);
    expect(all.batches[0]?.id).toBe(cli.batchId);
    expect(all.hasMore).toBe(false);

    // A batch whose record expired is skipped and dropped from the index.
    await ctx.redis.del(ctx.keys.batch(newestFirst[1] as string));
    const skipped = await listBatchPage(ctx.redis, ctx.keys, { tenant: 'acme', limit: 2 });
    expect(skipped.batches.map((batch) => batch.id)).toEqual([newestFirst[0], newestFirst[2]]);
    expect(skipped.hasMore).toBe(true);
    expect(await ctx.redis.zcard(ctx.keys.tenantBatches('acme'))).toBe(3);
  });
});
