import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorStats } from '../../src/simulator/server.ts';
import { messagesBody, parseSse, postMessages } from './client.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ keys: [{ key: 'limited', limits: { rpm: 60 } }], burstSeconds: 1 });
});
afterAll(async () => {
  await sim.close();
});

const usageOf = (body: unknown): { input_tokens: number; output_tokens: number } =>
  (body as { usage: { input_tokens: number; output_tokens: number } }).usage;

describe('stats', () => {
  it('count requests by status and key, and bill successful answers only', async () => {
    sim.reset();
    const a = await postMessages(sim, messagesBody('first prompt'), { key: 'a' });
    const streamed = await postMessages(sim, messagesBody('second prompt', { stream: true }), { key: 'a' });
    const streamEnd = parseSse(streamed.text).find((event) => event.event === 'message_delta')?.data;
    const streamStart = parseSse(streamed.text)[0]?.data as { message: unknown };
    const limited = [
      await postMessages(sim, messagesBody('x'), { key: 'limited' }),
      await postMessages(sim, messagesBody('x'), { key: 'limited' }),
    ];
    expect(limited.map((response) => response.status)).toEqual([200, 429]);
    expect((await postMessages(sim, messagesBody('[[sim:fault=overloaded]]'), { key: 'b' })).status).toBe(529);
    await expect(postMessages(sim, messagesBody('[[sim:fault=drop]]'), { key: 'b' })).rejects.toThrow();
    await expect(postMessages(sim, messagesBody('[[sim:fault=cut-stream]] a b c d e f', { stream: true }), { key: 'b' })).rejects.toThrow();
    await postMessages(sim, messagesBody('[[sim:fault=stream-error]] a b c d', { stream: true }), { key: 'b' });
    expect((await postMessages(sim, messagesBody('no key'), { key: null })).status).toBe(401);

    const inputTokens = usageOf(a.json).input_tokens + usageOf(streamStart.message).input_tokens + usageOf(limited[0]?.json).input_tokens;
    const outputTokens =
      usageOf(a.json).output_tokens +
      (streamEnd as { usage: { output_tokens: number } }).usage.output_tokens +
      usageOf(limited[0]?.json).output_tokens;

    await vi.waitFor(() => expect(sim.stats().requests - sim.stats().inFlight).toBe(9));
    const stats = sim.stats();
    expect(stats).toEqual({
      requests: 9,
      inFlight: 0,
      maxInFlight: expect.any(Number),
      byStatus: { '200': 3, '429': 1, '529': 1, dropped: 1, cut: 1, stream_error: 1, '401': 1 },
      byKey: {
        a: {
          requests: 2,
          succeeded: 2,
          rateLimited: 0,
          errors: 0,
          inputTokens: usageOf(a.json).input_tokens + usageOf(streamStart.message).input_tokens,
          outputTokens: usageOf(a.json).output_tokens + (streamEnd as { usage: { output_tokens: number } }).usage.output_tokens,
        },
        limited: {
          requests: 2,
          succeeded: 1,
          rateLimited: 1,
          errors: 0,
          inputTokens: usageOf(limited[0]?.json).input_tokens,
          outputTokens: usageOf(limited[0]?.json).output_tokens,
        },
        b: { requests: 4, succeeded: 0, rateLimited: 0, errors: 4, inputTokens: 0, outputTokens: 0 },
      },
      totals: { inputTokens, outputTokens },
      faults: { overloaded: 1, drop: 1, 'cut-stream': 1, 'stream-error': 1 },
    } satisfies SimulatorStats);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(1);
  });

  it('are served at GET /_sim/stats and zeroed by POST /_sim/reset', async () => {
    sim.reset();
    await postMessages(sim, messagesBody('hello'));
    const served = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimulatorStats;
    expect(served).toEqual(sim.stats());
    expect(served.requests).toBe(1);

    // Reset also fills the buckets again.
    expect((await postMessages(sim, messagesBody('x'), { key: 'limited' })).status).toBe(200);
    expect((await postMessages(sim, messagesBody('x'), { key: 'limited' })).status).toBe(429);
    const reset = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 0, byStatus: {}, byKey: {}, totals: { inputTokens: 0, outputTokens: 0 } });
    expect((await postMessages(sim, messagesBody('x'), { key: 'limited' })).status).toBe(200);

    expect((await fetch(`${sim.url}/_sim/health`)).status).toBe(200);
    expect((await fetch(`${sim.url}/_sim/nothing`)).status).toBe(404);
  });
});
