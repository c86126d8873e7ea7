/**
 * What a line format is: how it is recognised, where a line's id is, and how a line reads into
 * a `LineRequest` for parse-line.ts's shared checks. One file per format in this folder; detect.ts
 * lists them in the order they are tried.
 */
import { z } from 'zod';
import type { BatchDefaults } from '../../batches/batch-store.ts';
import type { ProviderName } from '../../providers/index.ts';

/** The batch file formats relayq reads. */
export type InputFormat = 'native' | 'openai-batch' | 'anthropic-batch' | 'gemini-batch';

/** The shape of a request body: the provider's own, or OpenAI Chat Completions (translated for other providers). */
export type RequestFormat = 'native' | 'openai-chat';

/** What a line format reads from a line, before the shared checks. */
export interface LineRequest {
  customId: string;
  /** The provider the line names. */
  provider?: ProviderName;
  /**
   * The providers that take this body as it is, the usual one first; routing chooses among
   * them, and a model routed elsewhere goes to the first. Left out: any provider.
   */
  providers?: readonly ProviderName[];
  model?: string;
  body: Record<string, unknown>;
  stream?: boolean;
  format: RequestFormat;
  endpoint?: string;
}

export interface LineFormat {
  readonly id: InputFormat;
  /** How a person would name a line of this format ("an OpenAI batch line"). */
  readonly name: string;
  /** The keys that identify it, for the "unknown line format" message: `{"custom_id", "params"}`. */
  readonly shape: string;
  /** Whether a line is in this format; the first format in detect.ts's `lineFormats` that claims a line reads it. */
  claims(line: Record<string, unknown>): boolean;
  /** The line's id, also for a line that turns out bad; null when it has none. */
  customIdOf(line: Record<string, unknown>): string | null;
  /**
   * Reads a line: its request, or what is wrong with it. `defaults`: the batch's defaults a format
   * applies itself (Gemini batch lines name no model, so `--model` names it).
   */
  read(line: Record<string, unknown>, defaults: BatchDefaults): LineRequest | string;
}

/** A line's id; its length limit (the config's `ingest.maxCustomIdLength`) is checked by parse-line.ts before this. */
export const customIdSchema = z.string().min(1, 'must not be empty');

/** The `custom_id` of a line, when it has a usable one. */
export function customIdField(line: Record<string, unknown>): string | null {
  return typeof line.custom_id === 'string' && line.custom_id !== '' ? line.custom_id : null;
}
