/**
 * One request/response pair as it moves through the simulator, with what the stats need to know
 * when the response closes.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Outcome } from './stats.ts';

export class Exchange {
  /** The accepted API key, once known (per-key stats). */
  key: string | undefined = undefined;
  /** The stats label: the status sent, or "dropped"/"cut"/"stream_error"; "aborted" if nothing went out. */
  status = 'aborted';
  outcome: Outcome = 'errors';
  /** Input tokens of the request, once admitted. */
  inputTokens = 0;
  /** Output tokens generated (in full, or as far as a cut stream got). */
  outputTokens = 0;
  /** Runs once when the response closes: gives back what admission took. */
  release: (() => void) | undefined = undefined;
  /** The body, once read in full. */
  body: Buffer = EMPTY;
  /** True when the body was larger than the simulator accepts (it was drained, not kept). */
  bodyTooLarge = false;
  /** True when the simulator closed the connection on purpose (drop, cut stream). */
  closedOnPurpose = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The request path without the query string. */
    readonly path: string,
    readonly requestId: string,
  ) {}

  /** True once the connection is gone (client went away, simulator closed, dropped). */
  get gone(): boolean {
    return this.res.destroyed;
  }

  /** Sends a complete response. `headers` is modified (content-length added). */
  send(status: number, headers: OutgoingHttpHeaders, body: string, outcome: Outcome): void {
    if (this.res.destroyed || this.res.headersSent) return;
    headers['content-length'] = Buffer.byteLength(body);
    this.status = statusLabel(status);
    this.outcome = outcome;
    this.res.writeHead(status, headers);
    this.res.end(body);
  }

  /** Sends an error answer: a 429 counts as rate-limited in the stats, anything else as an error. */
  sendError(status: number, headers: OutgoingHttpHeaders, body: string): void {
    this.send(status, headers, body, status === 429 ? 'rateLimited' : 'errors');
  }

  /** Destroys the connection without (further) answer; the stats count it under `label`. */
  drop(label: 'dropped' | 'cut'): void {
    this.status = label;
    this.outcome = 'errors';
    this.closedOnPurpose = true;
    this.res.destroy();
  }
}

const EMPTY = Buffer.alloc(0);
const labels = new Map<number, string>();

/** "200", "429", ... without a string allocation per request. */
export function statusLabel(status: number): string {
  let label = labels.get(status);
  if (label === undefined) {
    label = String(status);
    labels.set(status, label);
  }
  return label;
}
