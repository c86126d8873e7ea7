/**
 * An exponentially decaying event rate: how many events per second happened lately, weighting
 * the last `windowMs` most. Cheap enough to call on every prompt. During its first window the
 * average is scaled to the time actually observed, so a young meter does not read low.
 */
export class RateMeter {
  private value = 0;
  private at = 0;
  private since = 0;

  constructor(private readonly windowMs = 10_000) {}

  record(now = Date.now(), count = 1): void {
    if (this.since === 0) this.since = now;
    this.decay(now);
    this.value += count / this.windowMs;
  }

  /** Events per second. */
  perSecond(now = Date.now()): number {
    if (this.since === 0) return 0;
    this.decay(now);
    // The share of a full window the meter has seen: 1 - e^(-t/window).
    const observed = 1 - Math.exp(-Math.max(250, now - this.since) / this.windowMs);
    return (this.value * 1000) / observed;
  }

  private decay(now: number): void {
    if (this.at !== 0 && now > this.at) this.value *= Math.exp(-(now - this.at) / this.windowMs);
    this.at = now;
  }
}

/** One meter per key (requests this worker sent each account). */
export class RateMeters {
  private readonly meters = new Map<string, RateMeter>();

  of(key: string): RateMeter {
    let meter = this.meters.get(key);
    if (meter === undefined) {
      meter = new RateMeter();
      this.meters.set(key, meter);
    }
    return meter;
  }
}
