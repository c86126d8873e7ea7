/**
 * Gemini Batch API input lines: `{"key": "...", "request": GenerateContentRequest}`, or an
 * EmbedContentRequest (`{"request": {"content": ...}}`), which the Gemini module sends to
 * `:embedContent`. Gemini names the model once per batch, not per line, so the model comes from
 * `--model` (or, as a relayq extension, `request.model`, with or without the `models/` prefix).
 */
import { z } from 'zod';
import { formatIssues } from '../../lib/zod-issues.ts';
import { providersSpeaking } from '../../providers/index.ts';
import type { LineFormat } from './line-format.ts';

/** The providers that take Gemini bodies, the usual one first. */
const geminiProviders = providersSpeaking('gemini');

const geminiBatchLineSchema = z
  .object({
    // Its length limit (ingest.maxCustomIdLength) is checked by parse-line.ts.
    key: z.string().min(1, 'must not be empty'),
    request: z.record(z.string(), z.unknown()),
  })
  .strict();

export const geminiBatchLineFormat: LineFormat = {
  id: 'gemini-batch',
  name: 'Gemini batch line',
  shape: '{"key", "request"}',
  claims: (line) => 'key' in line && 'request' in line,
  customIdOf: (line) => (typeof line.key === 'string' && line.key !== '' ? line.key : null),
  read(line, defaults) {
    if (line.key === undefined) return 'missing key (a Gemini batch line is {"key", "request"})';
    const parsed = geminiBatchLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid Gemini batch line:\n${formatIssues(parsed.error.issues)}`;
    const { key, request } = parsed.data;
    const provider = geminiProviders.find((id) => id === (defaults.provider ?? geminiProviders[0]));
    if (provider === undefined) return `Gemini batch lines run on ${geminiProviders.join(' or ')} accounts, not on ${defaults.provider}`;
    const own = typeof request.model === 'string' ? request.model.replace(/^models\//, '') : undefined;
    const model = own ?? defaults.model;
    if (!model) return 'no model: Gemini batch lines name none; pass --model (for example --model gemini-2.5-flash)';
    const body = { ...request };
    delete body.model;
    return { customId: key, provider, providers: geminiProviders, model, body, format: 'native' };
  },
};
