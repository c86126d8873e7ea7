/**
 * Small SVG charts drawn on the server (no chart library in the browser): a sparkline of a series,
 * a progress bar of a batch's counts, and horizontal bars for a table of groups.
 */
import { html, type Html } from './html.ts';

/** A line of the values, scaled to the box; a flat line when there are fewer than two. */
export function sparkline(values: readonly number[], options: { width?: number; height?: number; label?: string } = {}): Html {
  const width = options.width ?? 120;
  const height = options.height ?? 28;
  const label = options.label ?? 'last hour';
  if (values.length < 2) {
    return html`<svg class="spark" width="${width}" height="${height}" role="img" aria-label="${label}: no samples yet"><line x1="0" y1="${height - 1}" x2="${width}" y2="${height - 1}"/></svg>`;
  }
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const points = values
    .map((value, index) => {
      const x = (index / (values.length - 1)) * width;
      const y = height - 1 - ((value - min) / span) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return html`<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}"><polyline points="${points}"/></svg>`;
}

export interface ProgressParts {
  total: number;
  succeeded: number;
  errored: number;
  cancelled: number;
  expired: number;
}

/** A bar of succeeded / errored / cancelled+expired over the total; the rest is pending. */
export function progressBar(counts: ProgressParts): Html {
  const total = Math.max(counts.total, 1);
  const part = (n: number) => `${((n / total) * 100).toFixed(2)}%`;
  const done = counts.succeeded + counts.errored + counts.cancelled + counts.expired;
  const percent = Math.floor((done / total) * 100);
  return html`<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="${counts.total}" aria-valuenow="${done}" title="${done} of ${counts.total} done">
    <span class="ok" style="width:${part(counts.succeeded)}"></span><span class="err" style="width:${part(counts.errored)}"></span><span class="off" style="width:${part(counts.cancelled + counts.expired)}"></span>
  </div><span class="percent">${percent}%</span>`;
}

/** Horizontal bars, one per row, scaled to the largest. */
export function bars(rows: readonly { label: string; value: number; text: string }[]): Html {
  if (rows.length === 0) return html`<p class="muted">Nothing in this period.</p>`;
  const max = Math.max(...rows.map((row) => row.value), 1e-12);
  return html`<div class="bars">${rows.map(
    (row) =>
      html`<div class="bar-row"><span class="bar-label" title="${row.label}">${row.label}</span><span class="bar"><span style="width:${((row.value / max) * 100).toFixed(1)}%"></span></span><span class="bar-value">${row.text}</span></div>`,
  )}</div>`;
}
