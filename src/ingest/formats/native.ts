/** relayq's own line format: `{"custom_id", "body"}`, with optional provider, model, stream, format and endpoint. */
import { z } from 'zod';
import { providerNameSchema } from '../../config/schema.ts';
import { formatIssues } from '../../lib/zod-issues.ts';
import { customIdField, customIdSchema, type LineFormat } from './line-format.ts';

const nativeLineSchema = z
  .object({
    custom_id: customIdSchema,
    provider: providerNameSchema.optional(),
    model: z.string().min(1).optional(),
    stream: z.boolean().optional(),
    format: z.enum(['native', 'openai-chat']).optional(),
    /** An API path of the provider's (parse-line.ts checks it against the provider modules). */
    endpoint: z.string().min(1).optional(),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

export const nativeLineFormat: LineFormat = {
  id: 'native',
  name: 'line',
  shape: '{"custom_id", "body"}',
  claims: (line) => 'body' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = nativeLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid line:\n${formatIssues(parsed.error.issues)}`;
    const { data } = parsed;
    return {
      customId: data.custom_id,
      provider: data.provider,
      model: data.model,
      body: data.body,
      stream: data.stream,
      format: data.format ?? 'native',
      endpoint: data.endpoint,
    };
  },
};
