/**
 * The whole system's metrics, in a prom-client registry of their own whose collectors read Redis
 * when scraped (system-state.ts): the same answer from every process, nothing lost when a worker
 * restarts. Counters are set from the all-time totals at each scrape (reset, then incremented to
 * the total), so they keep the `counter` type. Names follow Prometheus' conventions: base units,
 * `_total` on counters, no label with a batch or custom_id (their number has no bound).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { AccountHealthStatus, AccountState } from '../accounts/state.ts';
import { costOf, type PriceTable } from '../usage/prices.ts';
import { readSystemState, type SystemState, type SystemStateSource } from './system-state.ts';

export interface SystemMetricsSource extends SystemStateSource {
  /** The user's price file (loadPrices()), for `relayq_cost_usd_total`. */
  prices: PriceTable;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Token types of `relayq_tokens_total` and the usage metric each counts. */
const tokenTypes = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cache_read', 'cache_read_tokens'],
  ['cache_write', 'cache_write_tokens'],
  ['reasoning', 'reasoning_tokens'],
] as const;

const stateValues: Record<AccountHealthStatus, number> = { ok: 0, cooling_down: 1, disabled: 2 };

export function createSystemMetrics(source: SystemMetricsSource): Registry {
  const registry = new Registry();
  // The collectors of one scrape start together and share one read of Redis.
  let reading: Promise<SystemState> | null = null;
  const state = (): Promise<SystemState> => {
    if (reading === null) {
      reading = readSystemState(source);
      const clear = () => {
        reading = null;
      };
      reading.then(clear, clear);
    }
    return reading;
  };

  const counter = (name: string, help: string, labelNames: readonly string[], samples: (state: SystemState) => Sample[]) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const found = samples(await state());
        this.reset();
        for (const sample of found) this.inc(sample.labels, sample.value);
      },
    });
  const gauge = (name: string, help: string, labelNames: readonly string[], samples: (state: SystemState) => Sample[]) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const found = samples(await state());
        this.reset();
        for (const sample of found) this.set(sample.labels, sample.value);
      },
    });

  counter('relayq_prompts_total', 'Prompts with a final result, by provider, model and status', ['provider', 'model', 'status'], (s) =>
    s.results.prompts.map((row) => ({ labels: { provider: row.provider, model: row.model, status: row.status }, value: row.count })),
  );
  counter(
    'relayq_upstream_requests_total',
    'Calls to the providers, by account and answer (HTTP status code, or "error" when none came); retries included',
    ['provider', 'account', 'code'],
    (s) => s.upstream.map((row) => ({ labels: { provider: row.provider, account: row.account, code: row.code }, value: row.count })),
  );
  counter('relayq_upstream_rate_limited_total', 'Calls the providers answered with 429 Too Many Requests', ['provider', 'account'], (s) =>
    s.upstream
      .filter((row) => row.code === '429')
      .map((row) => ({ labels: { provider: row.provider, account: row.account }, value: row.count })),
  );
  counter(
    'relayq_tokens_total',
    'Tokens of final results, by type (input: fresh prompt tokens; reasoning tokens are part of output)',
    ['provider', 'account', 'model', 'type'],
    (s) =>
      s.results.usage.flatMap((row) =>
        tokenTypes.map(([type, metric]) => ({
          labels: { provider: row.provider, account: row.account, model: row.model, type },
          value: row[metric],
        })),
      ),
  );
  counter(
    'relayq_cost_usd_total',
    'List-price cost of final results in US dollars (the price file, else @pydantic/genai-prices); models without a known price are left out',
    ['provider', 'model'],
    (s) => costSamples(s, source.prices),
  );
  counter(
    'relayq_webhook_deliveries_total',
    'Webhook delivery attempts, by result (delivered, retrying, failed, skipped)',
    ['result'],
    (s) => s.webhooks.map((row) => ({ labels: { result: row.result }, value: row.count })),
  );
  gauge('relayq_queue_jobs', 'Jobs in the BullMQ queues, by state', ['queue', 'state'], (s) =>
    s.jobs.map((row) => ({ labels: { queue: row.queue, state: row.state }, value: row.count })),
  );
  gauge('relayq_batches', 'Batches kept in Redis, by status', ['status'], (s) =>
    Object.entries(s.batches).map(([status, count]) => ({ labels: { status }, value: count })),
  );
  gauge('relayq_account_state', 'Account state: 0 ok, 1 cooling down (after a 429), 2 disabled', ['provider', 'account'], (s) =>
    s.accounts.map((account) => ({
      labels: { provider: account.provider ?? '', account: account.id },
      value: stateValues[account.health.status],
    })),
  );
  gauge(
    'relayq_account_capacity_ratio',
    'Capacity an account has left now, as a share of its limit (1: all of it), for each limit that is known',
    ['account', 'dimension'],
    (s) => s.accounts.flatMap(capacitySamples),
  );
  gauge('relayq_account_in_flight', 'Calls in flight on the account, over all workers', ['account'], (s) =>
    s.accounts.map((account) => ({ labels: { account: account.id }, value: account.usage.inFlight })),
  );
  gauge('relayq_workers', 'Worker processes alive (heartbeat in the last 15 seconds)', [], (s) => [{ labels: {}, value: s.workers }]);
  return registry;
}

function capacitySamples(account: AccountState): Sample[] {
  const { available, inFlight } = account.usage;
  const samples: Sample[] = [];
  const add = (dimension: string, value: number | null) => {
    if (value !== null) samples.push({ labels: { account: account.id, dimension }, value });
  };
  add('requests_per_minute', available.rpm);
  add('input_tokens_per_minute', available.inputTpm);
  add('output_tokens_per_minute', available.outputTpm);
  add('tokens_per_minute', available.tpm);
  const concurrency = account.effective.concurrency;
  if (concurrency !== null && concurrency > 0) add('concurrency', Math.max(0, Math.min(1, 1 - inFlight / concurrency)));
  return samples;
}

function costSamples(s: SystemState, prices: PriceTable): Sample[] {
  const costs = new Map<string, Sample>();
  for (const row of s.results.usage) {
    const costing = costOf(prices, row);
    if (costing.cost === null) continue;
    const key = `${row.provider}|${row.model}`;
    const sample = costs.get(key) ?? { labels: { provider: row.provider, model: row.model }, value: 0 };
    sample.value += costing.cost;
    costs.set(key, sample);
  }
  return [...costs.values()];
}
