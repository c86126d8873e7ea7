/**
 * The HTTP headers every provider's api.ts builds the same way: the JSON request headers a call
 * starts from, and the response headers kept on a result (picked by name, lower-cased, a repeated
 * header joined with ", ").
 */
import type { IncomingHttpHeaders } from 'node:http';

/** `content-type` and `accept` for a JSON call (`text/event-stream` for a stream), and relayq's user-agent. */
export function jsonRequestHeaders(stream = false): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'user-agent': 'relayq',
  };
}

/** The response headers whose lower-cased name `keep` accepts, lower-cased, each one value. */
export function pickHeaders(
  headers: IncomingHttpHeaders | Record<string, string>,
  keep: (lowerName: string) => boolean,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (keep(lower)) kept[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}
