/**
 * Anthropic Message Batches request lines: `{"custom_id", "params"}`, `params` a Messages body.
 * They run on the providers that speak the Anthropic Messages dialect (Anthropic, Bedrock).
 */
import { z } from 'zod';
import { formatIssues } from '../../lib/zod-issues.ts';
import { providersSpeaking } from '../../providers/index.ts';
import { customIdField, customIdSchema, type LineFormat } from './line-format.ts';

/** The providers that take Anthropic Messages bodies, the usual one first. */
const anthropicMessagesProviders = providersSpeaking('anthropic-messages');

const anthropicBatchLineSchema = z
  .object({
    custom_id: customIdSchema,
    params: z.record(z.string(), z.unknown()),
  })
  .strict();

export const anthropicBatchLineFormat: LineFormat = {
  id: 'anthropic-batch',
  name: 'Anthropic batch line',
  shape: '{"custom_id", "params"}',
  claims: (line) => 'params' in line,
  customIdOf: customIdField,
  read(line) {
    if (line.custom_id === undefined) return 'missing custom_id';
    const parsed = anthropicBatchLineSchema.safeParse(line);
    if (!parsed.success) return `not a valid Anthropic batch line:\n${formatIssues(parsed.error.issues)}`;
    return {
      customId: parsed.data.custom_id,
      providers: anthropicMessagesProviders,
      body: parsed.data.params,
      format: 'native',
    };
  },
};
