/**
 * `/batches/:id`: one batch: counts by status, progress, rate and ETA, errors by kind with
 * examples, accounts and models used, tokens and cost, webhook deliveries, rejected lines,
 * downloads in every export format, and (admins) cancel / pause / resume / retry.
 * `/lookup`: one prompt by custom_id: its request (while its job is queued), result, attempts, error.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Job } from 'bullmq';
import { getRejects, isTerminal, type BatchInfo } from '../../batches/batch-store.ts';
import { exportFormats } from '../../batches/export/export-results.ts';
import { promptJobId } from '../../batches/prompt-job.ts';
import { getResult, getResults, type ResultRecord } from '../../batches/results.ts';
import type { StatusView } from '../../operations/batch-status.ts';
import type { DashboardContext } from '../context.ts';
import { progressBar } from '../charts.ts';
import { ago, compact, duration, html, money, type Html, type Viewer } from '../html.ts';

/** Errored results sampled for examples, and examples shown per error kind. */
const sampledErrors = 200;
const examplesPerKind = 3;

export async function errorExamples(ctx: DashboardContext, batchId: string): Promise<Map<string, ResultRecord[]>> {
  const [, ids] = await ctx.redis.sscan(ctx.keys.batchErrored(batchId), '0', 'COUNT', sampledErrors);
  const results = await getResults(ctx.redis, ctx.keys, batchId, ids.slice(0, sampledErrors));
  const byKind = new Map<string, ResultRecord[]>();
  for (const result of results) {
    if (result?.error === undefined) continue;
    const list = byKind.get(result.error.kind) ?? [];
    if (list.length < examplesPerKind) list.push(result);
    byKind.set(result.error.kind, list);
  }
  return byKind;
}

function actions(batch: BatchInfo, viewer: Viewer): Html {
  if (!viewer.admin) return html``;
  const button = (action: string, label: string, confirm: string, enabled: boolean) =>
    html`<button class="action ${action}" hx-post="/batches/${batch.id}/${action}" hx-confirm="${confirm}" hx-target="#batch-live" hx-swap="innerHTML"${enabled ? '' : html` disabled`}>${label}</button>`;
  const running = batch.status === 'in_progress' || batch.status === 'validating';
  return html`<div class="actions">
    ${button('pause', 'Pause', `Pause ${batch.id}? Calls in flight finish; the rest wait until you resume.`, running)}
    ${button('resume', 'Resume', `Resume ${batch.id}?`, batch.status === 'paused')}
    ${button('cancel', 'Cancel', `Cancel ${batch.id}? Prompts without a result are cancelled; this cannot be undone.`, !isTerminal(batch.status) && batch.status !== 'cancelling')}
    ${button('retry', 'Retry errored', `Run the ${batch.counts.errored} errored prompts of ${batch.id} again?`, isTerminal(batch.status) && batch.counts.errored > 0 && batch.source_path !== null)}
  </div>`;
}

/** The live part of the batch page (also what `/live/batches/:id` answers). */
export function batchSummary(view: StatusView, viewer: Viewer, notice?: string): Html {
  const { batch } = view;
  const { counts, usage } = batch;
  const count = (label: string, n: number, cls = '') => html`<div class="count ${cls}"><span>${label}</span><b>${compact(n)}</b></div>`;
  return html`
  ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
  <div class="batch-head"><span class="status ${batch.status}" id="batch-status">${batch.status.replace('_', ' ')}</span>
    <div class="progress-wide">${progressBar(counts)}</div>
    <span>${compact(view.rate)} prompts/s · ETA ${batch.status === 'in_progress' ? duration(view.eta_ms) : '–'}</span></div>
  ${actions(batch, viewer)}
  <div class="counts">
    ${count('total', counts.total)}${count('succeeded', counts.succeeded, 'ok')}${count('errored', counts.errored, 'err')}
    ${count('cancelled', counts.cancelled)}${count('expired', counts.expired)}${count('pending', counts.pending)}${count('rejected lines', counts.rejected)}
    ${count('retries', batch.retries)}
  </div>
  <div class="columns">
    <section><h2>Tokens and cost</h2><table><tbody>
      <tr><td>input</td><td class="num">${compact(usage.input_tokens)}</td></tr>
      <tr><td>output</td><td class="num">${compact(usage.output_tokens)}</td></tr>
      <tr><td>cache read</td><td class="num">${compact(usage.cache_read_tokens)}</td></tr>
      <tr><td>cache write</td><td class="num">${compact(usage.cache_write_tokens)}</td></tr>
      <tr><td>reasoning</td><td class="num">${compact(usage.reasoning_tokens)}</td></tr>
      <tr><td>cost (list price)</td><td class="num">${view.cost === null ? html`unknown <span class="muted">(${view.cost_unknown?.models.map((m) => m.model).join(', ')})</span>` : money(view.cost, view.currency)}</td></tr>
    </tbody></table></section>
    <section><h2>Accounts used</h2><table><tbody>${Object.entries(view.accounts).map(
      ([account, n]) =>
        html`<tr><td><a href="/accounts#account-${account}">${account}</a></td><td class="num">${compact(n)} requests</td></tr>`,
    )}</tbody></table>
    <p class="muted">${view.models.map((m) => `${m.provider} ${m.model}`).join(', ')}</p></section>
    <section><h2>Failed attempts retried</h2>${
      Object.keys(batch.attempt_errors).length === 0
        ? html`<p class="muted">None.</p>`
        : html`<table><tbody>${Object.entries(batch.attempt_errors).map(([kind, n]) => html`<tr><td>${kind}</td><td class="num">${compact(n)}</td></tr>`)}</tbody></table>`
    }</section>
  </div>`;
}

function errorsSection(batch: BatchInfo, examples: Map<string, ResultRecord[]>): Html {
  const kinds = Object.entries(batch.errors).sort((a, b) => b[1] - a[1]);
  if (kinds.length === 0) return html`<section><h2>Errors</h2><p class="muted">No errored prompt.</p></section>`;
  return html`<section><h2>Errors by kind</h2><table class="errors"><thead><tr><th>kind</th><th class="num">prompts</th><th>examples</th></tr></thead><tbody>${kinds.map(
    ([kind, n]) =>
      html`<tr><td>${kind}</td><td class="num">${compact(n)}</td><td>${(examples.get(kind) ?? []).map(
        (result) =>
          html`<div class="example"><a href="/lookup?batch=${batch.id}&custom_id=${encodeURIComponent(result.custom_id)}">${result.custom_id}</a> <span class="muted">line ${result.line}${result.error?.status_code ? `, HTTP ${result.error.status_code}` : ''}</span>: ${result.error?.message ?? ''}</div>`,
      )}</td></tr>`,
  )}</tbody></table></section>`;
}

export async function batchPage(ctx: DashboardContext, view: StatusView, viewer: Viewer): Promise<Html> {
  const { batch } = view;
  const [examples, rejects] = await Promise.all([errorExamples(ctx, batch.id), getRejects(ctx.redis, ctx.keys, batch.id, 100)]);
  return html`<h1>Batch <code>${batch.id}</code></h1>
  <p class="muted">${batch.source} · ${batch.input_format ?? 'format unknown'} · created ${ago(batch.created_at)}${batch.tenant ? ` · tenant ${batch.tenant}` : ''}
    ${Object.entries(batch.metadata).map(([key, value]) => html` <span class="tag">${key}=${value}</span>`)}</p>
  <div id="batch-live" hx-get="/live/batches/${batch.id}" hx-trigger="every 2s" hx-swap="innerHTML">${batchSummary(view, viewer)}</div>
  <section><h2>Results</h2><p>Download: ${exportFormats.map((format) => html`<a class="download" href="/batches/${batch.id}/results?format=${format}" download="${batch.id}.${format}.jsonl">${format}</a> `)}</p>
  <form class="lookup" method="get" action="/lookup"><input type="hidden" name="batch" value="${batch.id}"><label>Find a prompt by custom_id <input name="custom_id" required></label><button>Find</button></form></section>
  ${errorsSection(batch, examples)}
  <section><h2>Webhook deliveries</h2>${
    view.webhook_events.every((event) => event.deliveries.length === 0)
      ? html`<p class="muted">${view.webhook_events.length === 0 && !isTerminal(batch.status) ? 'None yet: webhooks are called when the batch ends.' : 'No webhook was given or registered for this batch.'}</p>`
      : html`<table><thead><tr><th>event</th><th>url</th><th>state</th><th class="num">attempts</th><th>last answer</th></tr></thead><tbody>${view.webhook_events.flatMap(
          (event) =>
            event.deliveries.map(
              (delivery) =>
                html`<tr><td>${event.type}<div class="muted">${event.id}</div></td><td>${delivery.url}</td><td><span class="status ${delivery.state}">${delivery.state}</span></td><td class="num">${delivery.attempts}</td><td>${delivery.last_status_code ?? ''} ${delivery.last_error ?? ''}</td></tr>`,
            ),
        )}</tbody></table>`
  }</section>
  <section><h2>Rejected lines</h2>${
    rejects.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<table><thead><tr><th class="num">line</th><th>custom_id</th><th>error</th></tr></thead><tbody>${rejects.map(
          (reject) => html`<tr><td class="num">${reject.line}</td><td>${reject.custom_id ?? ''}</td><td>${reject.error}</td></tr>`,
        )}</tbody></table>${batch.counts.rejected > rejects.length ? html`<p class="muted">${batch.counts.rejected - rejects.length} more in the batch's status (relayq status ${batch.id}).</p>` : ''}`
  }</section>`;
}

function json(value: unknown): Html {
  return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
}

/** Line `number` (1-based) of the batch's input file, when the file is still there; null otherwise. */
export async function inputLine(path: string | null, number: number): Promise<string | null> {
  if (
    path === null ||
    !(await access(path).then(
      () => true,
      () => false,
    ))
  )
    return null;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let at = 0;
  try {
    for await (const line of lines) if (++at === number) return line;
    return null;
  } finally {
    lines.close();
  }
}

function parsedOrText(line: string): Html {
  try {
    return json(JSON.parse(line));
  } catch {
    return html`<pre>${line}</pre>`;
  }
}

/** The prompt's result and, while it is still queued, its job (the request, attempts, last error). */
export async function lookupPage(ctx: DashboardContext, batch: BatchInfo, customId: string): Promise<Html> {
  const [result, line, job] = await Promise.all([
    getResult(ctx.redis, ctx.keys, batch.id, customId),
    ctx.redis.hget(ctx.keys.batchLines(batch.id), customId),
    ctx.promptQueue.getJob(promptJobId(batch.id, customId)) as Promise<Job | undefined>,
  ]);
  const form = html`<form class="lookup" method="get" action="/lookup"><input type="hidden" name="batch" value="${batch.id}"><label>custom_id <input name="custom_id" value="${customId}" required></label><button>Find</button></form>`;
  if (line === null && result === null) {
    return html`<h1>Prompt lookup</h1>${form}<p class="empty">Batch <a href="/batches/${batch.id}">${batch.id}</a> has no prompt with custom_id <code>${customId}</code>.</p>`;
  }
  const state = job ? await job.getState() : null;
  const lineNumber = Number(line ?? result?.line ?? 0);
  const input = job ? null : await inputLine(batch.source_path, lineNumber);
  return html`<h1>Prompt <code>${customId}</code></h1>${form}
  <p>Batch <a href="/batches/${batch.id}">${batch.id}</a> · line ${line ?? result?.line ?? '?'} · ${result ? html`<span class="status ${result.status}" id="prompt-status">${result.status}</span>` : html`<span class="status pending" id="prompt-status">pending</span>`}</p>
  ${
    result
      ? html`<section><h2>Result</h2><table><tbody>
      <tr><td>provider / account / model</td><td>${result.provider ?? '–'} / ${result.account ?? '–'} / ${result.model ?? '–'}</td></tr>
      <tr><td>attempts</td><td>${result.attempts}</td></tr><tr><td>latency</td><td>${result.latency_ms} ms</td></tr>
      <tr><td>tokens</td><td>${result.usage.input_tokens} in · ${result.usage.output_tokens} out</td></tr>
      ${result.error ? html`<tr><td>error</td><td><b>${result.error.kind}</b>${result.error.status_code ? ` (HTTP ${result.error.status_code})` : ''}: ${result.error.message}</td></tr>` : ''}
      ${result.warnings?.length ? html`<tr><td>warnings</td><td>${result.warnings.join('; ')}</td></tr>` : ''}
      </tbody></table>${result.response ? html`<h3>Response (HTTP ${result.response.status_code})</h3>${json(result.response.body)}` : ''}</section>`
      : ''
  }
  ${
    job
      ? html`<section><h2>Job</h2><p>state ${state} · attempts started ${job.attemptsStarted} · made ${job.attemptsMade}${job.failedReason ? html` · last error: ${job.failedReason}` : ''}</p><h3>Request</h3>${json(job.data)}</section>`
      : input !== null
        ? html`<section><h2>Request</h2><p class="muted">Line ${lineNumber} of ${batch.source}, as submitted.</p>${parsedOrText(input)}</section>`
        : html`<p class="muted">The request is no longer queued (finished prompts leave the queue) and the input file is not on this server.</p>`
  }`;
}
