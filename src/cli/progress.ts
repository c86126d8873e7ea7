/** A one-line progress display on stderr: rewritten in place on a terminal, a line every few seconds elsewhere. */
export class ProgressLine {
  private lastPrint = 0;
  private lastText = '';
  private printedText = '';
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly intervalMs = 5_000) {}

  update(text: string): void {
    this.lastText = text;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint < 100) return;
      process.stderr.write(`\r\x1b[2K${text}`);
    } else {
      if (now - this.lastPrint < this.intervalMs) return;
      process.stderr.write(`${text}\n`);
      this.printedText = text;
    }
    this.lastPrint = now;
  }

  /** Clears the line on a terminal so something else can be printed; the next update redraws it. */
  clear(): void {
    if (this.tty && this.lastText) process.stderr.write('\r\x1b[2K');
  }

  /** Prints the last state and ends the line. */
  done(): void {
    if (this.tty) {
      if (this.lastText) process.stderr.write(`\r\x1b[2K${this.lastText}\n`);
    } else if (this.lastText && this.lastText !== this.printedText) process.stderr.write(`${this.lastText}\n`);
  }
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-US');
}
