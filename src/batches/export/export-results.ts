/**
 * Streams a batch's results out in one of the result formats, in any order, in input order, or
 * following the batch while it runs. Memory stays bounded: results are read in chunks.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../../redis/keys.ts';
import { getBatch } from '../batch-store.ts';
import { resultsInInputOrder, resultsSince, scanResults, type ResultRecord } from '../results.ts';
import { isTerminal } from '../status.ts';
import { toAnthropicResultLine } from './anthropic.ts';
import { toGeminiResultLine } from './gemini.ts';
import { toOpenAIBatchLine } from './openai.ts';

export const exportFormats = ['native', 'openai', 'anthropic', 'gemini'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportOrders = ['any', 'input', 'completion'] as const;
export type ExportOrder = (typeof exportOrders)[number];

/** Where exported lines go. OpenAI's format splits succeeded prompts (output) from the rest (errors). */
export interface ResultSink {
  output(line: string): Promise<void> | void;
  errors(line: string): Promise<void> | void;
}

export interface ExportOptions {
  format: ExportFormat;
  /** any: fastest; input: input-line order; completion: the order results landed. */
  order?: ExportOrder;
  /** Keep writing results as they land until the batch ends. */
  follow?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface ExportCounts {
  output: number;
  errors: number;
}

export function formatResult(record: ResultRecord, format: ExportFormat, batchId: string): { text: string; isError: boolean } {
  if (format === 'openai') {
    const { line, isError } = toOpenAIBatchLine(record, batchId);
    return { text: JSON.stringify(line), isError };
  }
  if (format === 'anthropic') return { text: JSON.stringify(toAnthropicResultLine(record)), isError: false };
  if (format === 'gemini') return { text: JSON.stringify(toGeminiResultLine(record)), isError: false };
  return { text: JSON.stringify(record), isError: false };
}

export async function exportResults(
  redis: Redis,
  keys: Keys,
  batchId: string,
  sink: ResultSink,
  options: ExportOptions,
): Promise<ExportCounts> {
  const counts: ExportCounts = { output: 0, errors: 0 };
  const emit = async (record: ResultRecord) => {
    const { text, isError } = formatResult(record, options.format, batchId);
    if (isError) {
      counts.errors += 1;
      await sink.errors(text);
    } else {
      counts.output += 1;
      await sink.output(text);
    }
  };
  if (options.follow) {
    await follow(redis, keys, batchId, emit, options);
    return counts;
  }
  const order = options.order ?? 'any';
  const source =
    order === 'input'
      ? resultsInInputOrder(redis, keys, batchId)
      : order === 'completion'
        ? completionOrder(redis, keys, batchId)
        : scanResults(redis, keys, batchId);
  for await (const record of source) await emit(record);
  return counts;
}

async function* completionOrder(redis: Redis, keys: Keys, batchId: string): AsyncGenerator<ResultRecord> {
  for (let from = 0; ; ) {
    const { records, next } = await resultsSince(redis, keys, batchId, from);
    if (next === from) return;
    from = next;
    yield* records;
  }
}

/** Tails the batch's done list until the batch has ended and every result was written. */
async function follow(
  redis: Redis,
  keys: Keys,
  batchId: string,
  emit: (record: ResultRecord) => Promise<void>,
  options: ExportOptions,
): Promise<void> {
  let from = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    const batch = await getBatch(redis, keys, batchId);
    const ended = batch === null || isTerminal(batch.status);
    const { records, next } = await resultsSince(redis, keys, batchId, from);
    from = next;
    for (const record of records) await emit(record);
    if (records.length > 0) continue;
    if (ended) return;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
