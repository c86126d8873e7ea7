import type { BatchInfo } from '../../batches/batch-store.ts';
import { isTerminal } from '../../batches/status.ts';
import { escapeForTerminal } from '../../lib/terminal-text.ts';
import { unavailableLines } from '../../operations/availability.ts';
import { batchStatusReport, loadStatus, statusJson, type StatusView } from '../../operations/batch-status.ts';
import type { Runtime } from '../../runtime.ts';
import { loadPrices, type PriceTable } from '../../usage/prices.ts';
import { formatDuration } from '../durations.ts';
import { exitCodes } from '../exit-codes.ts';
import { bar, formatNumber } from '../progress.ts';
import { colourOn, formatCost, paint, statusColour } from '../style.ts';
import { renderEventLog } from './webhooks.ts';

export { loadStatus, statusJson, type StatusView };

const ingestNote: Readonly<Record<BatchInfo['ingest'], string>> = {
  running: ' (still reading input)',
  done: '',
  stopped: ' (its submit stopped midway: `relayq submit --resume FILE` reads on, `relayq cancel` ends it)',
};

export function renderStatus(view: StatusView, colour: boolean, rejectLines: { line: number; error: string }[] = []): string {
  const { batch, accounts } = view;
  const { counts, usage } = batch;
  const done = counts.total - counts.pending;
  const fraction = counts.total === 0 ? (isTerminal(batch.status) ? 1 : 0) : done / counts.total;
  const kinds = (record: Record<string, number>) =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `${kind} ${formatNumber(n)}`)
      .join(', ') || '-';
  const rateLimited = batch.attempt_errors.rate_limited ?? 0;
  const lines = [
    `batch      ${batch.id} (${escapeForTerminal(batch.source)}${batch.input_format ? `, ${batch.input_format} format` : ''})`,
    `status     ${paint(batch.status, statusColour(batch.status), colour)}${ingestNote[batch.ingest]}`,
    `progress   ${bar(fraction)} ${(fraction * 100).toFixed(0)}% ${formatNumber(done)}/${formatNumber(counts.total)}, ${view.rate.toFixed(1)}/s, ETA ${view.eta_ms === null ? '-' : formatDuration(view.eta_ms)}`,
    `prompts    ${paint(formatNumber(counts.succeeded), 'green', colour)} succeeded, ${paint(formatNumber(counts.errored), counts.errored > 0 ? 'red' : 'dim', colour)} errored, ${formatNumber(counts.cancelled)} cancelled, ${formatNumber(counts.expired)} expired, ${formatNumber(counts.pending)} pending`,
    `rejected   ${formatNumber(counts.rejected)} input lines`,
    `errors     ${kinds(batch.errors)}`,
    `retries    ${formatNumber(batch.retries)} (429s: ${formatNumber(rateLimited)}; failed calls tried again: ${kinds(batch.attempt_errors)})`,
    `accounts   ${kinds(accounts)}`,
    `tokens     ${formatNumber(usage.input_tokens)} in, ${formatNumber(usage.output_tokens)} out (cache: ${formatNumber(usage.cache_read_tokens)} read, ${formatNumber(usage.cache_write_tokens)} written; reasoning ${formatNumber(usage.reasoning_tokens)})`,
    view.cost_unknown === null
      ? `cost       ${formatCost(view.cost, view.currency)} at list prices`
      : `cost       unknown: ${formatCost(view.cost_unknown.partial_cost, view.currency)} at list prices leaving out ${formatNumber(view.cost_unknown.tokens)} tokens (${view.cost_unknown.models.map((entry) => entry.reason).join('; ')})`,
    `created    ${batch.created_at}`,
  ];
  const stamps: [string, string | null][] = [
    ['started', batch.started_at],
    ['paused', batch.status === 'paused' ? batch.paused_at : null],
    ['finalizing', batch.finalizing_at],
    ['completed', batch.completed_at],
    ['failed', batch.failed_at],
    ['cancelling', batch.cancelling_at],
    ['cancelled', batch.cancelled_at],
    ['expires', batch.expires_at],
    ['expired', batch.expired_at],
  ];
  for (const [name, at] of stamps) if (at) lines.push(`${name.padEnd(10)} ${at}`);
  if (Object.keys(batch.metadata).length > 0) {
    lines.push(
      `tags       ${Object.entries(batch.metadata)
        .map(([key, value]) => escapeForTerminal(`${key}=${value}`))
        .join(' ')}`,
    );
  }
  if (batch.webhooks.length > 0 && view.webhook_events.length === 0)
    lines.push(`webhooks   ${batch.webhooks.map((url) => escapeForTerminal(url)).join(' ')} (when the batch ends)`);
  if (batch.event_id !== null && view.webhook_events.length === 0)
    lines.push(`webhooks   event ${batch.event_id} not sent yet (workers send it)`);
  for (const [index, line] of view.webhook_events.flatMap((log) => renderEventLog(log, false)).entries())
    lines.push(`${index === 0 ? 'webhooks  ' : '          '} ${line}`);
  for (const reject of rejectLines.slice(0, 20))
    lines.push(`  line ${reject.line}: ${escapeForTerminal(reject.error.split('\n')[0] ?? '')}`);
  if (counts.rejected > 20 && rejectLines.length > 0) lines.push(`  ... ${counts.rejected - 20} more (relayq status ${batch.id} --json)`);
  return lines.join('\n');
}

/** The exit status that says how a batch ended (for `status --watch` and `run`). */
export function outcomeExitCode(batch: BatchInfo): number {
  if (batch.status === 'cancelled') return exitCodes.cancelled;
  if (batch.status === 'expired') return exitCodes.expired;
  if (batch.counts.rejected > 0) return exitCodes.rejectedLines;
  if (batch.counts.errored > 0) return exitCodes.erroredPrompts;
  return exitCodes.ok;
}

export async function statusCommand(
  runtime: Runtime,
  batchId: string,
  options: { json: boolean; watch: boolean; intervalMs?: number },
): Promise<number> {
  const prices = await loadPrices();
  if (!options.watch) {
    const report = await batchStatusReport(runtime, batchId, prices);
    if (!report) return exitCodes.notFound;
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
    } else {
      const { view, waiting, availability, rejects } = report;
      const why = waiting.map((pool) => `waiting    ${formatNumber(pool.prompts)} ${pool.provider} prompts: ${pool.reason}`);
      const blocked = unavailableLines(availability, 'accounts   ');
      process.stdout.write(`${[renderStatus(view, colourOn(), rejects), ...blocked, ...why].join('\n')}\n`);
    }
    return exitCodes.ok;
  }
  return watchStatus(runtime, batchId, prices, options);
}

/** Redraws the status every interval until the batch ends; exits with the batch's outcome. */
async function watchStatus(
  runtime: Runtime,
  batchId: string,
  prices: PriceTable,
  options: { json: boolean; intervalMs?: number },
): Promise<number> {
  const tty = process.stdout.isTTY === true && !options.json;
  const colour = colourOn();
  let previous: { at: number; done: number } | null = null;
  let rate: number | undefined;
  let drawn = 0;
  let lastPlain = 0;
  for (;;) {
    const view = await loadStatus(runtime, batchId, prices, rate);
    if (!view) return exitCodes.notFound;
    const done = view.batch.counts.total - view.batch.counts.pending;
    const now = Date.now();
    if (previous && now > previous.at) {
      const sample = ((done - previous.done) * 1000) / (now - previous.at);
      rate = rate === undefined ? sample : rate * 0.7 + sample * 0.3;
    }
    previous = { at: now, done };
    const ended = isTerminal(view.batch.status);
    if (options.json) process.stdout.write(`${JSON.stringify(statusJson(view))}\n`);
    else if (tty) {
      const text = renderStatus(view, colour);
      if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
      process.stdout.write(`${text}\n`);
      drawn = text.split('\n').length;
    } else if (ended || now - lastPlain >= 5_000) {
      lastPlain = now;
      const { counts } = view.batch;
      process.stdout.write(
        `${view.batch.status} ${formatNumber(done)}/${formatNumber(counts.total)} done, ${formatNumber(counts.errored)} errored, ${view.rate.toFixed(1)}/s, ETA ${view.eta_ms === null ? '-' : formatDuration(view.eta_ms)}\n`,
      );
    }
    if (ended) {
      if (!tty && !options.json) process.stdout.write(`${renderStatus(view, false)}\n`);
      return outcomeExitCode(view.batch);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1_000));
  }
}
