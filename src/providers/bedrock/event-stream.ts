/**
 * AWS event-stream framing (`application/vnd.amazon.eventstream`) over an HTTP body whose
 * chunks split frames anywhere. Each frame starts with its total length (4 bytes, big-endian);
 * bytes are buffered until a whole frame is there, then EventStreamCodec checks both CRCs and
 * parses the headers.
 */
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export type { Message as EventStreamMessage } from '@smithy/eventstream-codec';

/** Prelude (total length, headers length, prelude CRC) plus the message CRC. */
const minimumFrameLength = 16;
/** Bedrock's frames are small; a length this large means the bytes are not an event stream. */
export const maximumFrameLength = 16 * 1024 * 1024;

/** The body ended with part of a frame buffered: the connection was cut. */
export class EventStreamTruncatedError extends Error {
  /** How many bytes of the unfinished frame had arrived. */
  readonly pendingBytes: number;

  constructor(pendingBytes: number) {
    super(`the event stream ended in the middle of a frame (${pendingBytes} bytes of it arrived)`);
    this.name = 'EventStreamTruncatedError';
    this.pendingBytes = pendingBytes;
  }
}

/** The bytes are not a valid event stream (bad length, bad checksum, bad headers). */
export class EventStreamFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStreamFormatError';
  }
}

/** One codec for encoding in tests and the simulator; decoding uses it too (it keeps no state for that). */
export const eventStreamCodec = new EventStreamCodec(toUtf8, fromUtf8);

/** Collects body chunks and hands out whole, checked messages. */
export class EventStreamFrameReader {
  private buffer = new Uint8Array(4096);
  private start = 0;
  private end = 0;

  /** Bytes of an unfinished frame held right now. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Adds a chunk; returns the messages it completes, in order. Throws EventStreamFormatError. */
  push(chunk: Uint8Array): Message[] {
    this.append(chunk);
    const messages: Message[] = [];
    while (this.end - this.start >= 4) {
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset + this.start, this.end - this.start);
      const length = view.getUint32(0, false);
      if (length < minimumFrameLength || length > maximumFrameLength) {
        throw new EventStreamFormatError(`a frame claims to be ${length} bytes long`);
      }
      if (this.end - this.start < length) break;
      const frame = this.buffer.subarray(this.start, this.start + length);
      let message: Message;
      try {
        message = eventStreamCodec.decode(frame);
      } catch (cause) {
        throw new EventStreamFormatError(`a frame could not be decoded: ${(cause as Error).message}`, { cause });
      }
      // The body is a view into the buffer, which the next chunk may overwrite.
      messages.push({ headers: message.headers, body: message.body.slice() });
      this.start += length;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return messages;
  }

  /** Call when the body ends: throws EventStreamTruncatedError when part of a frame is left. */
  finish(): void {
    if (this.end > this.start) throw new EventStreamTruncatedError(this.end - this.start);
  }

  private append(chunk: Uint8Array): void {
    const pending = this.end - this.start;
    if (this.end + chunk.length > this.buffer.length) {
      if (pending + chunk.length <= this.buffer.length && this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buffer.length;
        while (size < pending + chunk.length) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.start = 0;
      this.end = pending;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}

/** A header's value as a string, or undefined when absent or not a string. */
export function stringHeader(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
