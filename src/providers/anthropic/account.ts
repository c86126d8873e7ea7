/** The config of an Anthropic account: the shared fields and Anthropic's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

/** `anthropic-beta` flags sent with every call of the account (Bedrock accounts take them too). */
export const anthropicBetaField = z.array(z.string().min(1)).optional();

export const anthropicAccountSchema = defineAccountSchema('anthropic', { anthropicBeta: anthropicBetaField });
export type AnthropicAccount = z.infer<typeof anthropicAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    anthropic: AnthropicAccount;
  }
}
