/**
 * The one format detector: which line format a line is in (relayq's own lines, the OpenAI Batch
 * API's, Anthropic Message Batches', or the Gemini Batch API's). The line reader detects a file's
 * format from its first line with it; parse-line.ts, each line's.
 */
import { anthropicBatchLineFormat } from './anthropic-batch.ts';
import { geminiBatchLineFormat } from './gemini-batch.ts';
import type { LineFormat } from './line-format.ts';
import { nativeLineFormat } from './native.ts';
import { openAiBatchLineFormat } from './openai-batch.ts';

export type { InputFormat, LineFormat } from './line-format.ts';

/** Line formats in the order they are tried. */
export const lineFormats: readonly LineFormat[] = [
  openAiBatchLineFormat,
  anthropicBatchLineFormat,
  nativeLineFormat,
  geminiBatchLineFormat,
];

/** The first format that claims the line, or undefined. */
export function detectLineFormat(line: Record<string, unknown>): LineFormat | undefined {
  return lineFormats.find((format) => format.claims(line));
}

/** The "unknown line format" message: every shape relayq reads. */
export function unknownLineFormatMessage(): string {
  return `unknown line format: expected ${lineFormats.map((format) => format.shape).join(' or ')}`;
}
