/**
 * Gemini Batch API input lines: `{"key": "...", "request": GenerateContentRequest}`, or an
 * EmbedContentRequest (`{"request": {"content": ...}}`), which runs on `:embedContent`. Gemini names
 * the model once per batch, not per line, so the model comes from `--model` (or, as a relayq
 * extension, `request.model`, with or without the `models/` prefix).
 */
import { z } from 'zod';
import { formatIssues } from '../../config/load.ts';
import type { LineFormat, LineRequest } from '../parse-line.ts';
import { geminiEmbedEndpoint, isGeminiEmbedBody } from '../../providers/gemini/request-schema.ts';

const geminiBatchLineSchema = z
  .object({
    key: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
    request: z.record(z.string(), z.unknown()),
  })
  .strict();

/** Reads a Gemini batch line into a request; `model` is the batch's default model, if any. */
export function readGeminiBatchLine(line: Record<string, unknown>, model?: string): LineRequest | string {
  if (line.key === undefined) return 'missing key (a Gemini batch line is {"key", "request"})';
  const parsed = geminiBatchLineSchema.safeParse(line);
  if (!parsed.success) return `not a valid Gemini batch line:\n${formatIssues(parsed.error.issues)}`;
  const { key, request } = parsed.data;
  const own = typeof request.model === 'string' ? request.model.replace(/^models\//, '') : undefined;
  const chosen = own ?? model;
  if (!chosen) return 'no model: Gemini batch lines name none; pass --model (for example --model gemini-2.5-flash)';
  const body = { ...request };
  delete body.model;
  const read: LineRequest = { customId: key, providers: ['gemini'], model: chosen, body, format: 'native' };
  if (isGeminiEmbedBody(body)) read.endpoint = geminiEmbedEndpoint;
  return read;
}

/** The LineFormat for parse-line.ts's `lineFormats` list. */
export const geminiBatchLineFormat: LineFormat = {
  name: 'Gemini batch line',
  shape: '{"key", "request"}',
  claims: (line) => 'key' in line && 'request' in line,
  customIdOf: (line) => (typeof line.key === 'string' && line.key !== '' ? line.key : null),
  read: (line) => readGeminiBatchLine(line),
};
