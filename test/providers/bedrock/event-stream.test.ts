/** Event-stream framing: frames encoded with the codec, fed back split at every possible place. */
import { describe, expect, it } from 'vitest';
import {
  EventStreamFormatError,
  EventStreamFrameReader,
  EventStreamTruncatedError,
  stringHeader,
  type EventStreamMessage,
} from '../../../src/providers/bedrock/event-stream.ts';
import { seededRandom } from '../../../src/simulator/faults.ts';
import { chunkFrame, concatBytes, exceptionFrame, readFixture, type StreamFixture } from './helpers.ts';

const fixture = readFixture<StreamFixture>('stream-text.json');
const frames = [...fixture.events.map((event) => chunkFrame(event)), exceptionFrame('throttlingException', { message: 'slow down' })];
const stream = concatBytes(frames);

/** What a message says, in a form toEqual can compare. */
function describeMessage(message: EventStreamMessage): { type: string | undefined; body: string } {
  return {
    type: stringHeader(message, ':event-type') ?? stringHeader(message, ':exception-type'),
    body: Buffer.from(message.body).toString('utf8'),
  };
}

const expected = frames.map((frame) => {
  const reader = new EventStreamFrameReader();
  const [message] = reader.push(frame);
  if (message === undefined) throw new Error('a whole frame gave no message');
  return describeMessage(message);
});

function readAll(chunks: readonly Uint8Array[]): ReturnType<typeof describeMessage>[] {
  const reader = new EventStreamFrameReader();
  const messages = chunks.flatMap((chunk) => reader.push(chunk));
  reader.finish();
  return messages.map(describeMessage);
}

describe('EventStreamFrameReader', () => {
  it('reads whole frames', () => {
    expect(expected.map((message) => message.type)).toEqual([...fixture.events.map(() => 'chunk'), 'throttlingException']);
    expect(JSON.parse(expected[0]?.body ?? '')).toHaveProperty('bytes');
    expect(readAll([stream])).toEqual(expected);
  });

  it('reads the stream split in two at every byte', () => {
    for (let at = 0; at <= stream.length; at += 1) {
      expect(readAll([stream.subarray(0, at), stream.subarray(at)])).toEqual(expected);
    }
  });

  it('reads the stream one byte at a time', () => {
    const bytes = Array.from({ length: stream.length }, (_, index) => stream.subarray(index, index + 1));
    expect(readAll(bytes)).toEqual(expected);
  });

  it('reads the stream cut into random pieces', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round += 1) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(random() * 300);
        chunks.push(stream.subarray(at, at + size));
        at += size;
      }
      expect(readAll(chunks)).toEqual(expected);
    }
  });

  it('keeps message bodies intact after the buffer is reused', () => {
    const reader = new EventStreamFrameReader();
    const first = reader.push(concatBytes([frames[0] as Uint8Array, (frames[1] as Uint8Array).subarray(0, 10)]));
    reader.push((frames[1] as Uint8Array).subarray(10));
    expect(first.map(describeMessage)).toEqual([expected[0]]);
  });

  it('reports a body that ends inside a frame', () => {
    const reader = new EventStreamFrameReader();
    const cut = stream.length - 5;
    reader.push(stream.subarray(0, cut));
    expect(reader.pendingBytes).toBeGreaterThan(0);
    expect(() => reader.finish()).toThrow(EventStreamTruncatedError);
  });

  it('ends cleanly between frames', () => {
    const reader = new EventStreamFrameReader();
    reader.push(concatBytes(frames.slice(0, 2)));
    expect(reader.pendingBytes).toBe(0);
    expect(() => reader.finish()).not.toThrow();
  });

  it('refuses a frame whose checksum does not match', () => {
    const corrupt = new Uint8Array(frames[0] as Uint8Array);
    corrupt[corrupt.length - 10] = (corrupt[corrupt.length - 10] ?? 0) ^ 0xff;
    expect(() => new EventStreamFrameReader().push(corrupt)).toThrow(EventStreamFormatError);
  });

  it('refuses bytes that are not an event stream', () => {
    const html = new TextEncoder().encode('<html><body>Bad gateway</body></html>');
    expect(() => new EventStreamFrameReader().push(html)).toThrow(/claims to be \d+ bytes long/);
  });
});
