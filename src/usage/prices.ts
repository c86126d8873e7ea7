/**
 * The price table (config/prices.yaml, overridable) and what a prompt's tokens cost.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../config/load.ts';

const price = z.number().min(0);

export const priceEntrySchema = z
  .object({
    /** Model-name glob; `*` matches any run of characters. */
    match: z.string().min(1),
    input: price,
    output: price,
    cacheRead: price.optional(),
    cacheWrite: price.optional(),
  })
  .strict();
export type PriceEntry = z.infer<typeof priceEntrySchema>;

export const priceTableSchema = z
  .object({
    currency: z.string().min(1).default('USD'),
    models: z.array(priceEntrySchema).default([]),
  })
  .strict();
export type PriceTable = z.infer<typeof priceTableSchema>;

export const defaultPricesPath = new URL('../../config/prices.yaml', import.meta.url);

async function readTable(path: string | URL): Promise<PriceTable> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(`cannot read the price table ${String(path)}: ${(error as Error).message}`);
  }
  const parsed = priceTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid price table ${String(path)}:\n${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * relayq's price table, with the entries of `overridePath` (or $RELAYQ_PRICES) in front, so
 * they win.
 */
export async function loadPrices(overridePath = process.env.RELAYQ_PRICES): Promise<PriceTable> {
  const base = existsSync(defaultPricesPath) ? await readTable(defaultPricesPath) : { currency: 'USD', models: [] };
  if (!overridePath) return base;
  const override = await readTable(overridePath);
  return { currency: override.currency, models: [...override.models, ...base.models] };
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

export function priceFor(table: PriceTable, model: string): PriceEntry | undefined {
  return table.models.find((entry) => glob(entry.match).test(model));
}

export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

/**
 * The list-price cost of these tokens, or null when the table has no price for the model. Each
 * prompt token is in exactly one of input, cache read and cache write (for every provider: see
 * Usage in src/executors/types.ts), so each is charged once at its own price.
 */
export function costOf(table: PriceTable, model: string, tokens: TokenCounts): number | null {
  const entry = priceFor(table, model);
  if (!entry) return null;
  return (
    (tokens.input_tokens * entry.input +
      tokens.cache_read_tokens * (entry.cacheRead ?? entry.input) +
      tokens.cache_write_tokens * (entry.cacheWrite ?? entry.input) +
      tokens.output_tokens * entry.output) /
    1_000_000
  );
}
