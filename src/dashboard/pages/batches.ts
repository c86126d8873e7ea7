/**
 * `/batches`: the newest batches the viewer may see, filtered by status, tenant, tag and age and
 * sorted by any column, with progress bars, rate and ETA. The table refreshes every 2 s.
 */
import { listBatchPage, listBatches } from '../../batches/batch-list.ts';
import { batchStatuses, type BatchInfo } from '../../batches/batch-store.ts';
import type { DashboardContext } from '../context.ts';
import { progressBar } from '../charts.ts';
import { ago, compact, duration, html, type Html, type Viewer } from '../html.ts';

/** Batches the list reads at most (newest first) before filtering. */
const scanned = 1000;
const shown = 200;

export const ages = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, all: Number.POSITIVE_INFINITY } as const;
export const sorts = ['created', 'status', 'progress', 'rate', 'pending', 'total'] as const;

export interface BatchFilter {
  status?: string;
  tenant?: string;
  /** `key=value` (that metadata entry) or text found in any metadata key or value. */
  tag?: string;
  age: keyof typeof ages;
  sort: (typeof sorts)[number];
  dir: 'asc' | 'desc';
}

export function parseFilter(query: Record<string, string | undefined>): BatchFilter {
  const pick = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T =>
    allowed.includes(value as T) ? (value as T) : fallback;
  return {
    status: pick(query.status, batchStatuses, undefined as never) ?? undefined,
    tenant: query.tenant?.trim() || undefined,
    tag: query.tag?.trim() || undefined,
    age: pick(query.age, Object.keys(ages) as (keyof typeof ages)[], 'all'),
    sort: pick(query.sort, sorts, 'created'),
    dir: query.dir === 'asc' ? 'asc' : 'desc',
  };
}

export interface BatchRow {
  batch: BatchInfo;
  done: number;
  /** Results per second since the batch started. */
  rate: number;
  etaMs: number | null;
}

export function batchRow(batch: BatchInfo, now = Date.now()): BatchRow {
  const { counts } = batch;
  const done = counts.succeeded + counts.errored + counts.cancelled + counts.expired;
  const start = Date.parse(batch.started_at ?? batch.created_at);
  const end = Date.parse(batch.completed_at ?? batch.cancelled_at ?? batch.expired_at ?? batch.failed_at ?? '') || now;
  const seconds = Math.max((end - start) / 1000, 0.001);
  const rate = done / seconds;
  const running = batch.status === 'in_progress' || batch.status === 'validating';
  return { batch, done, rate, etaMs: running && rate > 0 ? (counts.pending / rate) * 1000 : null };
}

function matchesTag(batch: BatchInfo, tag: string): boolean {
  const eq = tag.indexOf('=');
  if (eq > 0) return batch.metadata[tag.slice(0, eq)] === tag.slice(eq + 1);
  const needle = tag.toLowerCase();
  return Object.entries(batch.metadata).some(([key, value]) => key.toLowerCase().includes(needle) || value.toLowerCase().includes(needle));
}

export async function visibleBatches(ctx: DashboardContext, viewer: Viewer, filter: BatchFilter, now = Date.now()): Promise<BatchRow[]> {
  const tenant = viewer.admin ? filter.tenant : viewer.tenant;
  const batches =
    tenant === undefined
      ? await listBatches(ctx.redis, ctx.keys, { limit: scanned })
      : (await listBatchPage(ctx.redis, ctx.keys, { tenant, limit: scanned })).batches;
  const rows = batches
    .filter((batch) => viewer.admin || batch.tenant === viewer.tenant)
    .filter((batch) => filter.status === undefined || batch.status === filter.status)
    .filter((batch) => filter.tag === undefined || matchesTag(batch, filter.tag))
    .filter((batch) => now - Date.parse(batch.created_at) <= ages[filter.age])
    .map((batch) => batchRow(batch, now));
  const key: Record<BatchFilter['sort'], (row: BatchRow) => number | string> = {
    created: (row) => row.batch.created_at,
    status: (row) => row.batch.status,
    progress: (row) => row.done / Math.max(row.batch.counts.total, 1),
    rate: (row) => row.rate,
    pending: (row) => row.batch.counts.pending,
    total: (row) => row.batch.counts.total,
  };
  const sign = filter.dir === 'asc' ? 1 : -1;
  const of = key[filter.sort];
  return rows.sort((a, b) => {
    const x = of(a);
    const y = of(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

function query(filter: BatchFilter, change: Partial<BatchFilter>): string {
  const merged = { ...filter, ...change };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(merged)) if (value !== undefined && value !== '') params.set(name, String(value));
  return params.toString();
}

function header(filter: BatchFilter, sort: BatchFilter['sort'], label: string, numeric = false): Html {
  const active = filter.sort === sort;
  const dir = active && filter.dir === 'desc' ? 'asc' : 'desc';
  const arrow = active ? (filter.dir === 'desc' ? ' ▼' : ' ▲') : '';
  return html`<th class="${numeric ? 'num' : ''}"><a href="/batches?${query(filter, { sort, dir })}">${label}${arrow}</a></th>`;
}

export function batchTable(rows: BatchRow[], filter: BatchFilter, viewer: Viewer, now = Date.now()): Html {
  if (rows.length === 0) return html`<p class="empty">No batch matches.</p>`;
  return html`<table class="batches">
  <thead><tr>${header(filter, 'created', 'batch')}${header(filter, 'status', 'status')}${viewer.admin ? html`<th>tenant</th>` : ''}<th>tags</th>${header(filter, 'progress', 'progress')}${header(filter, 'total', 'prompts', true)}${header(filter, 'pending', 'pending', true)}${header(filter, 'rate', 'rate', true)}<th class="num">ETA</th></tr></thead>
  <tbody>${rows.slice(0, shown).map(
    (row) => html`<tr data-batch="${row.batch.id}">
      <td><a href="/batches/${row.batch.id}">${row.batch.id}</a><div class="muted">${row.batch.source} · ${ago(row.batch.created_at, now)}</div></td>
      <td><span class="status ${row.batch.status}">${row.batch.status.replace('_', ' ')}</span></td>
      ${viewer.admin ? html`<td>${row.batch.tenant ?? html`<span class="muted">cli</span>`}</td>` : ''}
      <td>${Object.entries(row.batch.metadata).map(([key, value]) => html`<span class="tag">${key}=${value}</span> `)}</td>
      <td class="progress-cell">${progressBar(row.batch.counts)}</td>
      <td class="num">${compact(row.batch.counts.total)}</td>
      <td class="num">${compact(row.batch.counts.pending)}</td>
      <td class="num">${compact(row.rate)}/s</td>
      <td class="num">${duration(row.etaMs)}</td>
    </tr>`,
  )}</tbody></table>
  ${rows.length > shown ? html`<p class="muted">${rows.length - shown} more: narrow the filter.</p>` : ''}`;
}

export function batchesPage(rows: BatchRow[], filter: BatchFilter, viewer: Viewer): Html {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<h1>Batches</h1>
  <form class="filters" method="get" action="/batches">
    <label>Status <select name="status">${option('', 'any', filter.status === undefined)}${batchStatuses.map((status) => option(status, status.replace('_', ' '), filter.status === status))}</select></label>
    ${viewer.admin ? html`<label>Tenant <input name="tenant" value="${filter.tenant ?? ''}" placeholder="any"></label>` : ''}
    <label>Tag <input name="tag" value="${filter.tag ?? ''}" placeholder="key=value or text"></label>
    <label>Age <select name="age">${Object.keys(ages).map((age) => option(age, age === 'all' ? 'any' : `last ${age}`, filter.age === age))}</select></label>
    <input type="hidden" name="sort" value="${filter.sort}"><input type="hidden" name="dir" value="${filter.dir}">
    <button>Filter</button>
  </form>
  <form class="lookup" method="get" action="/lookup">
    <label>Find a prompt: batch <input name="batch" placeholder="batch_…" required></label>
    <label>custom_id <input name="custom_id" required></label><button>Find</button>
  </form>
  <div id="batch-table" hx-get="/live/batches?${query(filter, {})}" hx-trigger="every 2s" hx-swap="innerHTML">${batchTable(rows, filter, viewer)}</div>`;
}
