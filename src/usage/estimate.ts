/**
 * `relayq submit --dry-run`: reads a prompt file as submit would, and tells how many prompts it
 * holds, roughly how many tokens they take (the estimator the scheduler uses,
 * token-estimate.ts, at its uncalibrated 4 characters a token), what that costs at list price with every answer at its max_tokens (an
 * upper bound), and which accounts would serve each model. Nothing is written to Redis.
 */
import { createReadStream } from 'node:fs';
import type { Account, IngestLimits } from '../config/schema.ts';
import { defaultIngestLimits } from '../config/schema.ts';
import type { BatchDefaults, RejectedLine } from '../batches/batch-store.ts';
import type { RoutingRule } from '../accounts/routing.ts';
import { modelMatches } from '../accounts/routing.ts';
import { createLineReader } from '../ingest/formats/line-reader.ts';
import { eachInputLine } from '../ingest/read-lines.ts';
import { boundedReject } from '../ingest/rejected-line.ts';
import type { InputFormat } from '../ingest/formats/detect.ts';
import type { ParsedLine } from '../ingest/parse-line.ts';
import { costOf, type PriceTable } from './prices.ts';
import { promptClass } from '../batches/prompt-class.ts';
import { estimateRequest } from './token-estimate.ts';

export interface EstimateGroup {
  provider: string;
  model: string;
  prompts: number;
  input_tokens: number;
  /** The sum of the prompts' output limits: what the answers can cost at most. */
  max_output_tokens: number;
  /** Input at list price plus every answer at its limit; null when the model has no known price. */
  max_cost: number | null;
  /** Why `max_cost` is null. */
  cost_unknown_reason?: string;
  /** Enabled accounts that serve the model; empty means nothing could run these prompts. */
  accounts: string[];
}

export interface Estimate {
  lines: number;
  prompts: number;
  rejected: number;
  input_format: InputFormat | null;
  currency: string;
  groups: EstimateGroup[];
  total: {
    input_tokens: number;
    max_output_tokens: number;
    max_cost: number | null;
    /** Estimated tokens (input and output) of the models without a known price, which max_cost leaves out. */
    unpriced_tokens: number;
    /** Cost of the part that has prices, when some of it has none. */
    partial_max_cost?: number;
  };
  /** The first rejected lines (up to 100). */
  rejects: RejectedLine[];
}

export interface EstimateOptions {
  defaults?: BatchDefaults;
  routing?: readonly RoutingRule[];
  accounts: readonly Account[];
  prices: PriceTable;
  /** Output tokens assumed for a prompt that sets no limit (default: the scheduler's reserve, 4,096). */
  defaultMaxOutput?: number;
  /** Line size, JSON nesting depth and custom_id length (the config's `ingest`). */
  limits?: Partial<IngestLimits>;
}

export async function estimateFile(file: string, options: EstimateOptions): Promise<Estimate> {
  const limits = { ...defaultIngestLimits, ...options.limits };
  const reader = createLineReader({ defaults: options.defaults, routing: options.routing, limits });
  const groups = new Map<string, EstimateGroup>();
  // Per group and prompt size class: prompts and tokens, priced by class (src/batches/prompt-class.ts).
  const classes = new Map<EstimateGroup, Map<string, { requests: number; input: number; output: number }>>();
  const rejects: RejectedLine[] = [];
  let lines = 0;
  let prompts = 0;
  let rejected = 0;
  const seen = new Set<string>();
  for await (const { line, text, error: unreadable } of eachInputLine(createReadStream(file), limits.maxLineBytes)) {
    lines = line;
    if (unreadable === undefined && text.trim() === '') continue;
    const parsed = unreadable === undefined ? reader.read(text) : ({ ok: false, customId: null, error: unreadable } as const);
    let error: string | undefined;
    let value: ParsedLine | undefined;
    if (!parsed.ok) error = parsed.error;
    else if (seen.has(parsed.value.customId)) error = `duplicate custom_id "${parsed.value.customId}"`;
    else value = parsed.value;
    if (value === undefined) {
      rejected += 1;
      if (rejects.length < 100)
        rejects.push(
          boundedReject({ line: lines, custom_id: parsed.ok ? parsed.value.customId : parsed.customId, error: error ?? 'invalid' }),
        );
      continue;
    }
    // Custom ids are kept to catch duplicates as submit would; a dry run of a huge file pays for that in memory.
    seen.add(value.customId);
    prompts += 1;
    const key = `${value.provider}|${value.model}`;
    let group = groups.get(key);
    if (!group) {
      const accounts = options.accounts
        .filter((account) => account.enabled && account.provider === value.provider && modelMatches(account.models, value.model))
        .map((account) => account.id);
      group = { provider: value.provider, model: value.model, prompts: 0, input_tokens: 0, max_output_tokens: 0, max_cost: 0, accounts };
      groups.set(key, group);
    }
    group.prompts += 1;
    const tokens = estimateRequest(
      value.body,
      value.endpoint,
      options.defaultMaxOutput === undefined ? {} : { defaultOutput: options.defaultMaxOutput },
    );
    group.input_tokens += tokens.inputTokens;
    group.max_output_tokens += tokens.outputTokens;
    const byClass = classes.get(group) ?? new Map();
    classes.set(group, byClass);
    const size = promptClass(tokens.inputTokens);
    const sum = byClass.get(size) ?? { requests: 0, input: 0, output: 0 };
    byClass.set(size, sum);
    sum.requests += 1;
    sum.input += tokens.inputTokens;
    sum.output += tokens.outputTokens;
  }
  const total: Estimate['total'] = { input_tokens: 0, max_output_tokens: 0, max_cost: 0, unpriced_tokens: 0 };
  let known = 0;
  for (const group of groups.values()) {
    let cost: number | null = 0;
    for (const sum of classes.get(group)?.values() ?? []) {
      const costing = costOf(options.prices, {
        provider: group.provider,
        model: group.model,
        requests: sum.requests,
        input_tokens: sum.input,
        output_tokens: sum.output,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      });
      if (costing.cost === null) {
        cost = null;
        group.cost_unknown_reason = costing.reason;
        break;
      }
      cost += costing.cost;
    }
    group.max_cost = cost;
    total.input_tokens += group.input_tokens;
    total.max_output_tokens += group.max_output_tokens;
    if (cost === null) total.unpriced_tokens += group.input_tokens + group.max_output_tokens;
    else known += cost;
  }
  total.max_cost = total.unpriced_tokens > 0 ? null : known;
  if (total.unpriced_tokens > 0) total.partial_max_cost = known;
  return {
    lines,
    prompts,
    rejected,
    input_format: reader.format,
    currency: options.prices.currency,
    groups: [...groups.values()].sort((a, b) => b.prompts - a.prompts),
    total,
    rejects,
  };
}
