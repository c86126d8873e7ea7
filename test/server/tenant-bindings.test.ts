/**
 * A tenant binding (`relayq accounts bind --tenant T`) gives the batches made through T's keys
 * their dedicated accounts: the worker looks the binding up by the batch's tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBinding } from '../../src/accounts/bindings.ts';
import { anthropicBatchLine, promptText } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('tenant bindings through API keys', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      config: (url) => ({
        accounts: ['pool-1', 'pool-2', 'acme-only'].map((id) => ({ id, provider: 'anthropic', baseUrl: url, apiKey: `sk-ant-${id}` })),
      }),
      // Before the worker starts: a running worker picks bindings up within a few seconds.
      prepare: async (redis, keys) => {
        await setBinding(redis, keys, { tenant: 'acme' }, { accounts: ['acme-only'], groups: [], exclusive: true });
        await setBinding(redis, keys, { tenant: 'globex' }, { accounts: ['pool-1'], groups: [], exclusive: true });
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs a tenant's batches on its bound accounts only, and other tenants' on the rest", async () => {
    const acme = await server.createKey('acme-key', { tenant: 'acme' });
    const globex = await server.createKey('globex-key', { tenant: 'globex' });
    const body = Array.from({ length: 20 }, (_, i) => anthropicBatchLine(`b${i}`, promptText(i))).join('\n');

    const run = async (key: string) => {
      const answer = await fetch(`${server.url}/api/batches`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });
      const { batch } = (await answer.json()) as { batch: { id: string } };
      for (;;) {
        const status = (await (
          await fetch(`${server.url}/api/batches/${batch.id}`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as {
          status: string;
          accounts: Record<string, number>;
          counts: { succeeded: number };
        };
        if (status.status === 'completed') return status;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    const [acmeRun, globexRun] = await Promise.all([run(acme), run(globex)]);
    expect(acmeRun.counts.succeeded).toBe(20);
    expect(acmeRun.accounts).toEqual({ 'acme-only': 20 });
    expect(globexRun.accounts).toEqual({ 'pool-1': 20 });
  });
});
