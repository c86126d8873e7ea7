import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { ANTHROPIC_VERSION, messagesBody, parseSse, postMessages, type SseEvent } from './client.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ faults: { slowMs: 300 } });
});
afterAll(async () => {
  await sim.close();
});

/** Reads a streamed body as far as it gets; `error` is set when the connection broke. */
async function readStream(prompt: string): Promise<{ status: number; text: string; error: Error | undefined }> {
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'k', 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' },
    body: JSON.stringify(messagesBody(`${prompt} some more words so that the answer has several deltas`, { stream: true })),
  });
  const decoder = new TextDecoder();
  let text = '';
  let error: Error | undefined;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (caught) {
    error = caught as Error;
  }
  return { status: response.status, text, error };
}

describe('[[sim:fault=X]] directives', () => {
  it.each([
    ['overloaded', 529, 'overloaded_error'],
    ['server', 500, 'api_error'],
    ['rate_limit', 429, 'rate_limit_error'],
    ['invalid', 400, 'invalid_request_error'],
    ['permission', 403, 'permission_error'],
    ['not_found', 404, 'not_found_error'],
    ['too_large', 413, 'request_too_large'],
  ])('%s answers %i %s in Anthropic error shape', async (fault, status, type) => {
    for (const stream of [false, true]) {
      const response = await postMessages(sim, messagesBody(`hello [[sim:fault=${fault}]]`, { stream }));
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.json).toEqual({
        type: 'error',
        error: { type, message: expect.any(String) },
        request_id: response.headers.get('request-id'),
      });
    }
  });

  it('rate_limit sends retry-after', async () => {
    const response = await postMessages(sim, messagesBody('[[sim:fault=rate_limit]]'));
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('drop destroys the connection before answering', async () => {
    for (const stream of [false, true]) {
      await expect(postMessages(sim, messagesBody('[[sim:fault=drop]]', { stream }))).rejects.toThrow();
    }
  });

  it('cut-stream sends some events, then the connection breaks', async () => {
    const { status, text, error } = await readStream('[[sim:fault=cut-stream]]');
    expect(status).toBe(200);
    expect(error).toBeDefined();
    const events = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
    expect(events[0]?.event).toBe('message_start');
    expect(events.some((event) => event.event === 'content_block_delta')).toBe(true);
    expect(events.some((event) => event.event === 'message_stop')).toBe(false);
    // Not streamed: the same as drop.
    await expect(postMessages(sim, messagesBody('[[sim:fault=cut-stream]]'))).rejects.toThrow();
  });

  it('stream-error ends a 200 stream with an overloaded_error event', async () => {
    const { status, text, error } = await readStream('[[sim:fault=stream-error]]');
    expect(status).toBe(200);
    expect(error).toBeUndefined();
    const events: SseEvent[] = parseSse(text);
    expect(events.some((event) => event.event === 'content_block_delta')).toBe(true);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    expect(events.some((event) => event.event === 'message_stop')).toBe(false);
    // Not streamed: a 529.
    expect((await postMessages(sim, messagesBody('[[sim:fault=stream-error]]'))).status).toBe(529);
  });

  it('slow waits faults.slowMs before answering', async () => {
    const started = Date.now();
    const response = await postMessages(sim, messagesBody('[[sim:fault=slow]]'));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('random faults', () => {
  const statuses = async (target: RunningSimulator, count: number): Promise<string[]> => {
    const seen: string[] = [];
    for (let index = 0; index < count; index += 1) {
      try {
        seen.push(String((await postMessages(target, messagesBody(`prompt ${index}`))).status));
      } catch {
        seen.push('dropped');
      }
    }
    return seen;
  };

  it('follow the seed: the same config gives the same faults in the same order', async () => {
    const config = { faults: { seed: 42, overloadedRate: 0.2, serverErrorRate: 0.1, rateLimitRate: 0.1, dropRate: 0.1 } };
    const first = await startSimulator(config);
    const second = await startSimulator(config);
    try {
      const run = await statuses(first, 60);
      expect(await statuses(second, 60)).toEqual(run);
      for (const status of ['200', '529', '500', '429', 'dropped']) expect(run).toContain(status);
      first.reset();
      expect(await statuses(first, 60)).toEqual(run);
      await vi.waitFor(() => expect(first.stats().faults.overloaded).toBe(run.filter((s) => s === '529').length));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('a different seed gives different faults', async () => {
    const one = await startSimulator({ faults: { seed: 1, overloadedRate: 0.5 } });
    const two = await startSimulator({ faults: { seed: 2, overloadedRate: 0.5 } });
    try {
      expect(await statuses(one, 30)).not.toEqual(await statuses(two, 30));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
