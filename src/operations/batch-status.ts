/**
 * A batch's status as `relayq status --json` shows it and `GET /api/batches/{id}` answers: the
 * batch record with its counts, usage and cost, the accounts that served it, its rate and ETA,
 * why its prompts wait, whether its providers have an account available now, and its rejected
 * lines. One function for both, so they never disagree.
 */
import { routeModel } from '../accounts/routing.ts';
import { getBatch, getRejects, type BatchInfo, type RejectedLine } from '../batches/batch-store.ts';
import { expireIfDue } from '../batches/lifecycle.ts';
import { isTerminal } from '../batches/status.ts';
import { batchWaitingReasons, type WaitingPool } from '../scheduler/waiting.ts';
import type { PriceTable } from '../usage/prices.ts';
import { buildUsageReport, type UnpricedModel } from '../usage/report.ts';
import { listEventLogs, type EventLog } from '../webhooks/delivery-log.ts';
import { readBatchUsage } from '../usage/usage-store.ts';
import { providerAvailability, type ProviderAvailabilityNote, type ProviderWanted } from './availability.ts';
import type { OperationDeps } from './deps.ts';

export interface StatusView {
  batch: BatchInfo;
  /** Requests per account that served the batch. */
  accounts: Record<string, number>;
  cost: number | null;
  /** When the cost is unknown: the models without a price (and why), their tokens and the cost of the rest. */
  cost_unknown: { models: UnpricedModel[]; tokens: number; partial_cost: number } | null;
  currency: string;
  /** The providers and models that served the batch so far. */
  models: { provider: string; model: string }[];
  /** Results per second: measured between two looks when watching, else since the batch started. */
  rate: number;
  eta_ms: number | null;
  /** The batch's webhook events and their deliveries (no secrets). */
  webhook_events: EventLog[];
}

export async function loadStatus(deps: OperationDeps, batchId: string, prices: PriceTable, rate?: number): Promise<StatusView | null> {
  let batch = await getBatch(deps.redis, deps.keys, batchId);
  if (!batch) return null;
  if (await expireIfDue({ redis: deps.redis, keys: deps.keys, queue: deps.queue }, batch)) {
    batch = (await getBatch(deps.redis, deps.keys, batchId)) ?? batch;
  }
  const rows = await readBatchUsage(deps.redis, deps.keys, [batch]);
  const accounts: Record<string, number> = {};
  for (const row of rows) accounts[row.account] = (accounts[row.account] ?? 0) + row.requests;
  const report = buildUsageReport(rows, 'batch', prices);
  const { counts } = batch;
  const done = counts.total - counts.pending;
  const since = batch.started_at ? Date.parse(batch.started_at) : Date.parse(batch.created_at);
  const end = batch.completed_at ?? batch.cancelled_at ?? batch.expired_at;
  const elapsed = Math.max(1, (end ? Date.parse(end) : Date.now()) - since);
  const measured = rate ?? (done * 1000) / elapsed;
  const eta = counts.pending === 0 ? 0 : measured > 0 ? (counts.pending / measured) * 1000 : null;
  const models = [...new Map(rows.map((row) => [`${row.provider}|${row.model}`, { provider: row.provider, model: row.model }])).values()];
  const total = report.total;
  const costUnknown =
    total.cost === null
      ? { models: total.unpriced_models ?? [], tokens: total.unpriced_tokens ?? 0, partial_cost: total.partial_cost ?? 0 }
      : null;
  const webhookEvents = batch.event_id === null ? [] : await listEventLogs(deps.redis, deps.keys, { batchId, limit: 10 });
  return {
    batch,
    accounts,
    models,
    cost: total.cost,
    cost_unknown: costUnknown,
    currency: report.currency,
    rate: measured,
    eta_ms: eta,
    webhook_events: webhookEvents,
  };
}

/** Rejected lines a status report lists at most (all of them are counted). */
export const reportedRejects = 1000;

export interface BatchStatusReport {
  view: StatusView;
  waiting: WaitingPool[];
  availability: ProviderAvailabilityNote[];
  rejects: RejectedLine[];
  /** What `relayq status --json` prints. */
  json: ReturnType<typeof statusJson> & {
    waiting: { provider: string; accounts: WaitingPool['accounts']; prompts: number; reason: string }[];
    availability: ProviderAvailabilityNote[];
    rejected_lines: RejectedLine[];
  };
}

/** The batch's full status; null when there is no such batch. */
export async function batchStatusReport(deps: OperationDeps, batchId: string, prices: PriceTable): Promise<BatchStatusReport | null> {
  const view = await loadStatus(deps, batchId, prices);
  if (!view) return null;
  const rejects = view.batch.counts.rejected > 0 ? await getRejects(deps.redis, deps.keys, batchId, reportedRejects) : [];
  // Why prompts wait (accounts disabled, cooling down, or out of capacity).
  const waiting = view.batch.counts.pending > 0 ? await batchWaitingReasons(deps.redis, deps.keys, batchId) : [];
  const availability = isTerminal(view.batch.status) ? [] : await providerAvailability(deps, providersOf(view, waiting, deps.config));
  const waitingJson = waiting.map(({ provider, accounts, prompts, reason }) => ({ provider, accounts, prompts, reason }));
  return {
    view,
    waiting,
    availability,
    rejects,
    json: { ...statusJson(view), waiting: waitingJson, availability, rejected_lines: rejects },
  };
}

/**
 * The providers a batch needs: those that served it, those its waiting prompts wait for, and its
 * `--provider`/`--model` defaults. A batch none of that names yet (nothing ran, no defaults)
 * could need any provider this config has accounts of.
 */
function providersOf(view: StatusView, waiting: readonly WaitingPool[], config: OperationDeps['config']): ProviderWanted[] {
  const { defaults } = view.batch;
  const wanted: ProviderWanted[] = [...view.models, ...waiting.map((pool) => ({ provider: pool.provider }))];
  const model = defaults.model;
  const provider = defaults.provider ?? (model === undefined ? undefined : routeModel(model, config.routing));
  if (provider !== undefined) wanted.push(model === undefined ? { provider } : { provider, model });
  if (wanted.length === 0) wanted.push(...config.accounts.map((account) => ({ provider: account.provider })));
  return wanted;
}

export function statusJson(view: StatusView) {
  return {
    ...view.batch,
    accounts: view.accounts,
    cost: view.cost,
    cost_unknown: view.cost_unknown,
    currency: view.currency,
    rate_per_s: view.rate,
    eta_ms: view.eta_ms,
    webhook_events: view.webhook_events,
  };
}
