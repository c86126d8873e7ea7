/**
 * How many prompts may wait in line in one worker: at most half its concurrency in one pool's
 * line, and across all lines fewer than its concurrency, so some slots always take new prompts
 * (of other pools) from the queue. Also whether the worker is stopping: then prompts park
 * instead of waiting.
 */
export class LineBudget {
  stopping = false;
  private total = 0;
  private readonly perPool: number;
  private readonly allLines: number;

  constructor(concurrency: number) {
    this.perPool = Math.max(2, Math.floor(concurrency / 2));
    this.allLines = Math.max(1, concurrency - Math.max(2, Math.ceil(concurrency / 8)));
  }

  /** How many prompts may wait in a line that holds `waiting` now. */
  limitFor(waiting: number): number {
    return Math.max(0, Math.min(this.perPool, waiting + this.allLines - this.total));
  }

  /** Counts prompts joining (+) or leaving (-) any line. */
  changed(delta: number): void {
    this.total += delta;
  }
}
