/**
 * An exponentially decaying event rate: how many events per second happened lately, weighting
 * the last `windowMs` most. Cheap enough to call on every prompt.
 */
export class RateMeter {
  private value = 0;
  private at = 0;

  constructor(private readonly windowMs = 10_000) {}

  record(now = Date.now(), count = 1): void {
    this.decay(now);
    this.value += count / this.windowMs;
  }

  /** Events per second. */
  perSecond(now = Date.now()): number {
    this.decay(now);
    return this.value * 1000;
  }

  private decay(now: number): void {
    if (this.at !== 0 && now > this.at) this.value *= Math.exp(-(now - this.at) / this.windowMs);
    this.at = now;
  }
}
