/**
 * OpenAI Batch API input lines: `{"custom_id", "method": "POST", "url", "body"}`. A Chat
 * Completions line runs on any provider (translated where the dialect is not OpenAI's); the other
 * API paths run only on the providers that speak OpenAI's dialect and take that path.
 */
import { z } from 'zod';
import { formatIssues } from '../../lib/zod-issues.ts';
import { providerModule, providersSpeaking, type ProviderName } from '../../providers/index.ts';
import { customIdField, customIdSchema, type LineFormat } from './line-format.ts';

const chatCompletionsUrl = '/v1/chat/completions';

/** The request paths relayq runs (those of the providers that speak OpenAI's dialect), each with the providers that take it. */
const providersByUrl = new Map<string, ProviderName[]>();
for (const id of providersSpeaking('openai')) {
  for (const url of Object.keys(providerModule(id).requests.endpoints ?? {}))
    providersByUrl.set(url, [...(providersByUrl.get(url) ?? []), id]);
}
const openAiBatchUrls = [...providersByUrl.keys()];

const openAiBatchLineSchema = z
  .object({
    custom_id: customIdSchema,
    method: z.literal('POST', 'must be "POST"'),
    url: z.string().refine((url) => providersByUrl.has(url), `must be one of ${openAiBatchUrls.join(', ')}`),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

export const openAiBatchLineFormat: LineFormat = {
  id: 'openai-batch',
  name: 'OpenAI batch line',
  shape: '{"custom_id", "method", "url", "body"}',
  claims: (line) => 'url' in line || 'method' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = openAiBatchLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid OpenAI batch line:\n${formatIssues(parsed.error.issues)}`;
    const { custom_id: customId, url, body } = parsed.data;
    // Chat Completions runs anywhere (translated); Responses and Embeddings only where they exist.
    if (url === chatCompletionsUrl) return { customId, body, format: 'openai-chat', endpoint: url };
    return { customId, providers: providersByUrl.get(url) ?? [], body, format: 'native', endpoint: url };
  },
};
