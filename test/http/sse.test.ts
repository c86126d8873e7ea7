import { describe, expect, it } from 'vitest';
import { readSseEvents, SseTruncatedError, type SseEvent } from '../../src/http/sse.ts';

async function* chunksOf(...chunks: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body)) events.push(event);
  return events;
}

describe('readSseEvents', () => {
  it('parses named events split across chunks at any point', async () => {
    const text = 'event: a\ndata: {"x":1}\n\n: comment\n\nevent: b\ndata: line1\ndata: line2\n\n';
    for (let split = 1; split < text.length; split++) {
      const events = await collect(chunksOf(text.slice(0, split), text.slice(split)));
      expect(events).toEqual([
        { event: 'a', data: '{"x":1}', id: undefined },
        { event: 'b', data: 'line1\nline2', id: undefined },
      ]);
    }
  });

  it('handles CRLF line endings', async () => {
    const events = await collect(chunksOf('event: a\r\ndata: 1\r', '\n\r\nevent: b\r\ndata: 2\r\n\r\n'));
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('data: héllo ✓\n\n');
    const events = await collect(chunksOf(bytes.subarray(0, 8), bytes.subarray(8, 17), bytes.subarray(17)));
    expect(events[0]?.data).toBe('héllo ✓');
  });

  it('ends cleanly when the body ends between events', async () => {
    await expect(collect(chunksOf('data: 1\n\n', '\n'))).resolves.toHaveLength(1);
  });

  it('throws SseTruncatedError when the body ends mid-event', async () => {
    await expect(collect(chunksOf('data: 1\n\nevent: a\ndata: {"par'))).rejects.toBeInstanceOf(SseTruncatedError);
    // A complete line without the blank line that ends the event is still a cut.
    await expect(collect(chunksOf('data: 1\n\ndata: 2\n'))).rejects.toBeInstanceOf(SseTruncatedError);
  });

  it('yields events that arrived before the cut', async () => {
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of readSseEvents(chunksOf('data: 1\n\ndata: 2'))) seen.push(event.data);
      })(),
    ).rejects.toThrow(/middle of an event/);
    expect(seen).toEqual(['1']);
  });

  it('passes the body error through', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('data: 1\n\n');
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    }
    await expect(collect(failing())).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
  });
});
