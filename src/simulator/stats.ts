/**
 * What the simulator has served: counters tests and benchmarks compare relayq's own numbers to.
 * Token totals count successful answers only — what a client is billed for.
 */

export interface KeyStats {
  /** Finished requests of this key (succeeded + rateLimited + errors). */
  requests: number;
  succeeded: number;
  /** 429s, from the key's buckets or injected. */
  rateLimited: number;
  /** Every other failure: error statuses, dropped and cut connections, errors inside streams. */
  errors: number;
  /** Billed tokens: successful answers only. */
  inputTokens: number;
  outputTokens: number;
}

export interface SimulatorStats {
  /** Requests received, finished or not. */
  requests: number;
  /** Requests being handled now. */
  inFlight: number;
  maxInFlight: number;
  /**
   * Finished requests by outcome: the HTTP status ("200", "429", ...) or, when no clean answer
   * went out, "dropped" (socket destroyed before an answer), "cut" (stream cut short),
   * "stream_error" (an error event inside a 200 stream), "aborted" (the client went away).
   */
  byStatus: Record<string, number>;
  /** Finished requests per accepted API key. */
  byKey: Record<string, KeyStats>;
  totals: { inputTokens: number; outputTokens: number };
  /** Faults injected, by kind (forced by a directive or drawn at random). */
  faults: Record<string, number>;
}

export type Outcome = 'succeeded' | 'rateLimited' | 'errors';

/** One finished request, as the stats see it. */
export interface FinishedRequest {
  status: string;
  key: string | undefined;
  outcome: Outcome;
  inputTokens: number;
  outputTokens: number;
}

export class StatsRecorder {
  private requests = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private byStatus = new Map<string, number>();
  private byKey = new Map<string, KeyStats>();
  private faults = new Map<string, number>();
  private inputTokens = 0;
  private outputTokens = 0;

  started(): void {
    this.requests += 1;
    this.inFlight += 1;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  finished(request: FinishedRequest): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.byStatus.set(request.status, (this.byStatus.get(request.status) ?? 0) + 1);
    if (request.key !== undefined) {
      let key = this.byKey.get(request.key);
      if (key === undefined) {
        key = { requests: 0, succeeded: 0, rateLimited: 0, errors: 0, inputTokens: 0, outputTokens: 0 };
        this.byKey.set(request.key, key);
      }
      key.requests += 1;
      key[request.outcome] += 1;
      if (request.outcome === 'succeeded') {
        key.inputTokens += request.inputTokens;
        key.outputTokens += request.outputTokens;
      }
    }
    if (request.outcome === 'succeeded') {
      this.inputTokens += request.inputTokens;
      this.outputTokens += request.outputTokens;
    }
  }

  faultInjected(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  snapshot(): SimulatorStats {
    // fromEntries defines own properties, so a key named "__proto__" stays a key.
    const byKey: Record<string, KeyStats> = Object.fromEntries([...this.byKey].map(([key, stats]) => [key, { ...stats }]));
    return {
      requests: this.requests,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      byStatus: Object.fromEntries(this.byStatus),
      byKey,
      totals: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      faults: Object.fromEntries(this.faults),
    };
  }

  /** Zeroes every counter; requests in flight stay counted as in flight. */
  reset(): void {
    this.requests = 0;
    this.maxInFlight = this.inFlight;
    this.byStatus = new Map();
    this.byKey = new Map();
    this.faults = new Map();
    this.inputTokens = 0;
    this.outputTokens = 0;
  }
}
