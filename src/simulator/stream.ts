/**
 * Streamed answers, whatever their framing: the text cut into deltas of a few words and written
 * head → deltas (paced by `streamChunkDelayMs`) → ending, with the exchange's stats kept. A
 * provider gives the frames (SSE events, Gemini's JSON array, AWS event-stream frames); how a
 * stream is paced, counted and ended on a fault is the same for all.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { countTokens, type ComposedAnswer } from './answer.ts';
import type { Exchange } from './exchange.ts';
import type { SimulatorRuntime } from './runtime.ts';

/**
 * How a stream ends: `complete` as the provider ends it, `cut` (the socket is destroyed after
 * about half the deltas) or `error` (the provider's mid-stream error after them, then the end).
 */
export type StreamEnding = 'complete' | 'cut' | 'error';

/** The text in deltas of `wordsPerChunk` words; the deltas concatenate to the text exactly. */
export function textChunks(text: string, wordsPerChunk: number): string[] {
  if (text === '') return [];
  const chunks: string[] = [];
  let start = 0;
  let spaces = 0;
  for (let index = text.indexOf(' '); index >= 0; index = text.indexOf(' ', index + 1)) {
    spaces += 1;
    if (spaces === wordsPerChunk) {
      chunks.push(text.slice(start, index));
      start = index;
      spaces = 0;
    }
  }
  chunks.push(text.slice(start));
  return chunks;
}

/** Marks a 200's headers as a server-sent events stream (Anthropic's and OpenAI's framing). */
export function setSseHeaders(headers: OutgoingHttpHeaders): void {
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
}

/** One provider's frames for one streamed answer: text (SSE, JSON) or bytes (AWS event stream). */
export interface StreamFraming<Frame extends string | Buffer> {
  /** The 200's headers. */
  headers: OutgoingHttpHeaders;
  /** What goes before the first delta. */
  head: Frame;
  /** One delta's frame; `last` is true for the final delta of a complete stream. */
  delta(text: string, index: number, last: boolean): Frame;
  /** The end of a complete stream, built when it is due (after every delta). */
  tail(): Frame;
  /** The provider's mid-stream error that ends an `error` stream. */
  errorEnding(): Frame;
  /** What goes out after the last delta of a `cut` stream, before the socket goes (nothing when left out). */
  cutEnding?(): Frame;
  /** An empty answer still gets one (empty) delta, as Gemini sends it. */
  deltaForEmptyText?: boolean;
}

/**
 * Writes a streamed answer: the head, the deltas (each write carries the frames due at that
 * moment), then the ending. Sets the exchange's status, outcome and output tokens (as far as a
 * cut or failed stream got).
 */
export async function writeStream<Frame extends string | Buffer>(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  answer: ComposedAnswer,
  ending: StreamEnding,
  framing: StreamFraming<Frame>,
): Promise<void> {
  const { res } = exchange;
  const deltas = textChunks(answer.text, runtime.config.streamChunkWords);
  if (deltas.length === 0 && framing.deltaForEmptyText === true) deltas.push('');
  const sent = ending === 'complete' ? deltas.length : Math.min(deltas.length, Math.max(1, deltas.length >> 1));
  const join = joinerOf(framing.head);
  if (res.destroyed) return;
  res.writeHead(200, framing.headers);
  exchange.status = '200';
  exchange.outputTokens = ending === 'complete' ? answer.outputTokens : countTokens(deltas.slice(0, sent).join(''));
  const delay = runtime.config.streamChunkDelayMs;

  let pending: Frame[] = [framing.head];
  for (let index = 0; index < sent; index += 1) {
    if (delay > 0 && index > 0) {
      res.write(join(pending));
      pending = [];
      await runtime.sleep(delay);
      if (exchange.gone) return;
    }
    pending.push(framing.delta(deltas[index] ?? '', index, ending === 'complete' && index === deltas.length - 1));
  }
  if (ending === 'complete') {
    exchange.outcome = 'succeeded';
    pending.push(framing.tail());
    res.end(join(pending));
  } else if (ending === 'error') {
    exchange.status = 'stream_error';
    pending.push(framing.errorEnding());
    res.end(join(pending));
  } else {
    if (framing.cutEnding !== undefined) pending.push(framing.cutEnding());
    // Let the frames reach the client before the connection goes.
    res.write(join(pending), () => exchange.drop('cut'));
  }
}

/** Text frames join into one string, byte frames into one buffer. */
function joinerOf<Frame extends string | Buffer>(head: Frame): (frames: Frame[]) => Frame {
  const join = typeof head === 'string' ? (frames: string[]) => frames.join('') : (frames: Buffer[]) => Buffer.concat(frames);
  return join as unknown as (frames: Frame[]) => Frame;
}
