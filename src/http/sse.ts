/**
 * Server-sent events from an HTTP response body. The body's own errors (socket closed, idle
 * timeout, abort) pass through unchanged; a body that ends in the middle of an event throws
 * `SseTruncatedError`. A body that ends cleanly between events just ends the iteration; whether
 * that was the end of the *answer* is for the provider's protocol to say (Anthropic's
 * `message_stop`, OpenAI's `[DONE]`).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  /** The `event:` field, or undefined when the server sent none. */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** The body ended after part of an event had arrived (the connection was cut). */
export class SseTruncatedError extends Error {
  /** The partial event text that arrived, cut to at most 200 characters. */
  readonly partial: string;

  constructor(partial: string) {
    super('the event stream ended in the middle of an event');
    this.name = 'SseTruncatedError';
    this.partial = partial.slice(0, 200);
  }
}

export async function* readSseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent, void, undefined> {
  const pending: SseEvent[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => pending.push({ event: message.event, data: message.data, id: message.id }),
  });
  const decoder = new TextDecoder('utf-8');
  const boundary = new EventBoundaryTracker();

  for await (const chunk of body) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text === '') continue;
    boundary.track(text);
    parser.feed(text);
    while (pending.length > 0) yield pending.shift() as SseEvent;
  }
  const rest = decoder.decode();
  if (rest !== '') {
    boundary.track(rest);
    parser.feed(rest);
    while (pending.length > 0) yield pending.shift() as SseEvent;
  }
  if (boundary.insideEvent) throw new SseTruncatedError(boundary.currentEventText);
}

/**
 * Follows line structure to know whether the text so far stops between events (after a blank
 * line) or inside one. eventsource-parser keeps this state private.
 */
class EventBoundaryTracker {
  /** True when a non-empty line has arrived since the last blank line. */
  insideEvent = false;
  /** The start of the current event's text, for the error message. */
  currentEventText = '';
  private lineLength = 0;
  private lastWasCr = false;

  track(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 10 /* \n */ && this.lastWasCr) {
        // The \n of a \r\n pair: the line already ended at the \r.
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = code === 13;
      if (code === 10 || code === 13) {
        if (this.lineLength === 0) {
          this.insideEvent = false;
          this.currentEventText = '';
        }
        this.lineLength = 0;
      } else {
        this.lineLength++;
        this.insideEvent = true;
      }
      if (this.insideEvent && this.currentEventText.length < 200) {
        this.currentEventText += text[i];
      }
    }
  }
}
