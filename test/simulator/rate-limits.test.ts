import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inputTokensOf } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/simulator/server.ts';
import { messagesBody, postMessages, type SimResponse } from './client.ts';

let sim: RunningSimulator | undefined;

async function start(config: SimulatorConfigInput): Promise<RunningSimulator> {
  sim = await startSimulator(config);
  return sim;
}

// The buckets refill by the clock (Date.now): the clock stands still unless a test moves it, so
// no refill happens while requests are on their way, however slow the machine.
const start0 = Date.parse('2026-01-01T00:00:00.000Z');
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: start0 });
});
afterEach(async () => {
  vi.useRealTimers();
  await sim?.close();
  sim = undefined;
});

const errorType = (response: SimResponse): string | undefined => (response.json as { error?: { type: string } } | undefined)?.error?.type;
const errorMessage = (response: SimResponse): string => (response.json as { error: { message: string } }).error.message;

function parallel(target: RunningSimulator, count: number, key: string, extra: Record<string, unknown> = {}): Promise<SimResponse[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => postMessages(target, messagesBody(`p${index}`, extra), { key })));
}

describe('requests per minute', () => {
  it('answers a burst beyond the bucket with 429, retry-after and rate-limit headers, then refills', async () => {
    // Capacity 120/60 × 5 = 10 requests, refilling at 2 a second.
    const target = await start({ keys: [{ key: 'k', limits: { rpm: 120 } }], burstSeconds: 5, acceptAnyKey: false });
    const burst = await parallel(target, 15, 'k');
    const ok = burst.filter((response) => response.status === 200);
    const limited = burst.filter((response) => response.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(5);

    const first = ok[0] as SimResponse;
    expect(first.headers.get('anthropic-ratelimit-requests-limit')).toBe('120');
    expect(Number(first.headers.get('anthropic-ratelimit-requests-remaining'))).toBeLessThan(10);

    const rejected = limited[0] as SimResponse;
    expect(errorType(rejected)).toBe('rate_limit_error');
    expect(errorMessage(rejected)).toMatch(/120 requests per minute/);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect(rejected.headers.get('anthropic-ratelimit-requests-limit')).toBe('120');
    expect(rejected.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    // 10 requests taken at 2 a second: full again in 5 s.
    expect(rejected.headers.get('anthropic-ratelimit-requests-reset')).toBe(new Date(start0 + 5000).toISOString());
    expect(rejected.headers.get('request-id')).toMatch(/^req_/);
    // No token limits configured: no token headers.
    expect(rejected.headers.get('anthropic-ratelimit-input-tokens-limit')).toBeNull();

    vi.setSystemTime(start0 + 600); // 1.2 requests refilled
    expect((await postMessages(target, messagesBody('again'), { key: 'k' })).status).toBe(200);
    expect((await postMessages(target, messagesBody('again'), { key: 'k' })).status).toBe(429);
  });

  it('keeps the buckets of different keys apart', async () => {
    const target = await start({
      keys: [{ key: 'small', limits: { rpm: 60 } }],
      defaultLimits: { rpm: 6000 },
      burstSeconds: 1,
    });
    expect((await parallel(target, 3, 'small')).map((response) => response.status).sort()).toEqual([200, 429, 429]);
    expect((await parallel(target, 3, 'other')).every((response) => response.status === 200)).toBe(true);
  });
});

describe('input tokens per minute', () => {
  it('charges the input tokens at admission', async () => {
    const target = await start({ defaultLimits: { inputTpm: 1200 }, burstSeconds: 1 }); // capacity 20
    const body = messagesBody('a prompt of a few words');
    expect(inputTokensOf(body)).toBeGreaterThan(10);
    expect((await postMessages(target, body)).status).toBe(200);
    const rejected = await postMessages(target, body);
    expect(rejected.status).toBe(429);
    expect(errorMessage(rejected)).toMatch(/1200 input tokens per minute/);
    expect(rejected.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('1200');
    expect(rejected.headers.get('anthropic-ratelimit-tokens-limit')).toBe('1200');
  });
});

describe('output tokens per minute', () => {
  it('reserves max_tokens at admission and gives back the unused part when the answer is complete', async () => {
    // Capacity 600/60 × 10 = 100 output tokens, refilling at 10 a second.
    const target = await start({ defaultLimits: { outputTpm: 600 }, burstSeconds: 10 });
    const first = await postMessages(target, messagesBody('short', { max_tokens: 100 }));
    expect(first.status).toBe(200);
    const used = (first.json as { usage: { output_tokens: number } }).usage.output_tokens;
    expect(used).toBeLessThan(20);
    // The unused reservation came back, but a full max_tokens no longer fits...
    const full = await postMessages(target, messagesBody('short', { max_tokens: 100 }));
    expect(full.status).toBe(429);
    expect(errorMessage(full)).toMatch(/600 output tokens per minute/);
    expect(full.headers.get('anthropic-ratelimit-output-tokens-limit')).toBe('600');
    expect(Number(full.headers.get('anthropic-ratelimit-output-tokens-remaining'))).toBeGreaterThanOrEqual(100 - used);
    // ...while what is left does.
    expect((await postMessages(target, messagesBody('short', { max_tokens: 100 - used - 5 }))).status).toBe(200);
  });

  it('holds the reservation while a request is in flight', async () => {
    const target = await start({ defaultLimits: { outputTpm: 600 }, burstSeconds: 10, latencyMs: 300 });
    const slow = postMessages(target, messagesBody('first', { max_tokens: 60 }));
    await vi.waitFor(() => expect(target.stats().inFlight).toBe(1));
    expect((await postMessages(target, messagesBody('second', { max_tokens: 60 }))).status).toBe(429);
    expect((await slow).status).toBe(200);
    expect((await postMessages(target, messagesBody('third', { max_tokens: 60 }))).status).toBe(200);
  });
});

describe('concurrency', () => {
  it('answers 429 beyond the requests in flight a key may have, and frees slots as answers finish', async () => {
    const target = await start({ defaultLimits: { concurrency: 2 }, latencyMs: 300 });
    const responses = await parallel(target, 4, 'k');
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 429, 429]);
    const rejected = responses.find((response) => response.status === 429) as SimResponse;
    expect(errorMessage(rejected)).toMatch(/2 concurrent requests/);
    expect(rejected.headers.get('retry-after')).toBe('1');
    expect((await parallel(target, 2, 'k')).map((response) => response.status)).toEqual([200, 200]);
    expect(target.stats().maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it('frees the slot of a request whose client went away', async () => {
    const target = await start({ defaultLimits: { concurrency: 1 }, faults: { slowMs: 10_000 } });
    const controller = new AbortController();
    const aborted = fetch(`${target.url}/v1/messages`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'x-api-key': 'other', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify(messagesBody('[[sim:fault=slow]]')),
    }).catch(() => 'aborted');
    await vi.waitFor(() => expect(target.stats().inFlight).toBe(1));
    expect((await postMessages(target, messagesBody('blocked'), { key: 'other' })).status).toBe(429);
    controller.abort();
    expect(await aborted).toBe('aborted');
    await vi.waitFor(() => expect(target.stats().byStatus.aborted).toBe(1));
    expect((await postMessages(target, messagesBody('free again'), { key: 'other' })).status).toBe(200);
  });
});
