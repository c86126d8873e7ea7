/** Colour and tables for a person's terminal: colour only on a TTY, never with NO_COLOR set. */
export function colourOn(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof codes;

export function paint(text: string, colour: Colour, on: boolean): string {
  return on ? `\x1b[${codes[colour]}m${text}\x1b[0m` : text;
}

/** The colour of a batch status. */
export function statusColour(status: string): Colour {
  if (status === 'completed') return 'green';
  if (status === 'failed' || status === 'expired' || status === 'cancelled') return 'red';
  if (status === 'cancelling' || status === 'expiring' || status === 'paused') return 'yellow';
  return 'cyan';
}

/** A plain-text table; numbers right-aligned. `colour` paints cells after padding (so widths stay right). */
export function renderTable(header: string[], rows: string[][], paintCell?: (row: number, column: number, text: string) => string): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => /^[-\d.,$%]+$/.test(row[column] ?? '') || row[column] === '-'),
  );
  const line = (cells: string[], rowIndex: number) =>
    cells
      .map((cell, column) => {
        const padded = numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0);
        return rowIndex >= 0 && paintCell ? paintCell(rowIndex, column, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((row, index) => line(row, index))].join('\n');
}

export function formatCost(cost: number | null, currency = 'USD'): string {
  if (cost === null) return 'unknown';
  const symbol = currency === 'USD' ? '$' : '';
  return `${symbol}${cost < 1 ? cost.toFixed(4) : cost.toFixed(2)}${symbol ? '' : ` ${currency}`}`;
}
