/**
 * What recorded usage costs at list prices. Two sources, in order:
 * 1. the user's price file (`--prices FILE` or RELAYQ_PRICES), entry by entry: negotiated prices;
 * 2. the price dataset of `@pydantic/genai-prices` (shipped in the package, read offline; newer
 *    data comes with `npm update @pydantic/genai-prices`), which knows tiered prices (long
 *    prompts), cache reads and writes, prices that changed on a date, Bedrock's regional and
 *    global ids and Azure's prices.
 * A model neither knows has an unknown cost (null, with the reason), never a guess.
 *
 * Cost is computed when usage is read, from the recorded tokens and the day they were spent, so a
 * report over past days reprices when the data or the price file changes.
 */
import { readFile } from 'node:fs/promises';
import { calcPrice } from '@pydantic/genai-prices';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../config/load.ts';
import { isProviderName, providerModule } from '../providers/index.ts';

const price = z.number().min(0);

export const priceEntrySchema = z
  .object({
    /** Model-name glob; `*` matches any run of characters. */
    match: z.string().min(1),
    /** Only for this relayq provider (`bedrock`, say); every provider when left out. */
    provider: z.string().min(1).optional(),
    input: price,
    output: price,
    cacheRead: price.optional(),
    cacheWrite: price.optional(),
  })
  .strict();
export type PriceEntry = z.infer<typeof priceEntrySchema>;

export const priceTableSchema = z
  .object({
    currency: z.literal('USD', { error: 'the price dataset is in USD, so a price file must be too (currency: USD)' }).default('USD'),
    models: z.array(priceEntrySchema).default([]),
  })
  .strict();
/** The user's price file: entries that win over the dataset, first match first. */
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Where a price came from. */
export type PriceSource = 'price file' | 'dataset';

/** The dataset relayq reads, as named in reports and messages. */
export const priceDatasetName = '@pydantic/genai-prices';

async function readTable(path: string): Promise<PriceTable> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(`cannot read the price file ${path}: ${(error as Error).message}`);
  }
  const parsed = priceTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid price file ${path}:\n${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** The user's price file (`overridePath`, else $RELAYQ_PRICES); no entries when neither is set. */
export async function loadPrices(overridePath = process.env.RELAYQ_PRICES): Promise<PriceTable> {
  if (!overridePath) return { currency: 'USD', models: [] };
  return readTable(overridePath);
}

const compiled = new Map<string, RegExp>();

function glob(pattern: string): RegExp {
  let found = compiled.get(pattern);
  if (!found) {
    found = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    compiled.set(pattern, found);
  }
  return found;
}

/** The price file's entry for a model (of a provider), if any. */
export function priceFor(table: PriceTable, model: string, provider?: string): PriceEntry | undefined {
  return table.models.find((entry) => (entry.provider === undefined || entry.provider === provider) && glob(entry.match).test(model));
}

/** Recorded usage of one provider's model: the sum over `requests` requests of one prompt size class. */
export interface PricedUsage {
  provider: string;
  model: string;
  /** Requests the tokens are the sum of (at least 1 is assumed). */
  requests: number;
  /** Fresh prompt tokens: each prompt token is in exactly one of input, cache read and cache write. */
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** The UTC day (YYYY-MM-DD) the tokens were spent, for prices that changed on a date; today when absent. */
  day?: string;
}

export type Costing = { cost: number; source: PriceSource } | { cost: null; reason: string };

function fromEntry(entry: PriceEntry, usage: PricedUsage): number {
  return (
    (usage.input_tokens * entry.input +
      usage.cache_read_tokens * (entry.cacheRead ?? entry.input) +
      usage.cache_write_tokens * (entry.cacheWrite ?? entry.input) +
      usage.output_tokens * entry.output) /
    1_000_000
  );
}

/**
 * The dataset's price of the usage. Its prices may depend on each request's prompt size, so the
 * sum is priced as `requests` times its average request: exact when all of them share a prompt
 * size class (src/batches/prompt-class.ts), as recorded usage rows do.
 */
function fromDataset(usage: PricedUsage): Costing {
  if (!isProviderName(usage.provider)) return { cost: null, reason: `unknown provider "${usage.provider}"` };
  const module = providerModule(usage.provider);
  const requests = Math.max(1, usage.requests);
  const average = (n: number) => n / requests;
  const found = calcPrice(
    {
      // The dataset's input_tokens count every prompt token, cached ones included.
      input_tokens: average(usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens),
      cache_read_tokens: average(usage.cache_read_tokens),
      cache_write_tokens: average(usage.cache_write_tokens),
      output_tokens: average(usage.output_tokens),
    },
    usage.model,
    { providerId: module.priceProvider, timestamp: usage.day ? new Date(`${usage.day}T12:00:00Z`) : new Date() },
  );
  if (found === null) {
    return {
      cost: null,
      reason: `no price for ${module.displayName} model "${usage.model}" in ${priceDatasetName} or the price file (--prices FILE)`,
    };
  }
  return { cost: found.total_price * requests, source: 'dataset' };
}

/** What the usage costs at list prices: the price file's entry, else the dataset's, else unknown with the reason. */
export function costOf(table: PriceTable, usage: PricedUsage): Costing {
  const entry = priceFor(table, usage.model, usage.provider);
  if (entry) return { cost: fromEntry(entry, usage), source: 'price file' };
  return fromDataset(usage);
}
