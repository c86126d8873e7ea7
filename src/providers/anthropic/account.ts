/** The config of an Anthropic account: the shared fields and Anthropic's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

/** `anthropic-beta` flags sent with every call of the account (Bedrock accounts take them too). */
export const anthropicBetaField = z.array(z.string().min(1)).optional();

/** Claude Code's public OAuth client, the one Claude Pro/Max logins are made for. */
export const anthropicOAuthClientId = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
export const anthropicOAuthTokenUrl = 'https://console.anthropic.com/v1/oauth/token';

/**
 * An OAuth login that relayq keeps alive: the refresh token (the access token is got with it and
 * refreshed before it expires), the OAuth client it was issued to, and the token endpoint.
 */
export const anthropicOAuthSchema = z.strictObject({
  refreshToken: z.string().min(1),
  clientId: z.string().min(1).default(anthropicOAuthClientId),
  tokenUrl: z.url().default(anthropicOAuthTokenUrl),
});

export const anthropicAccountSchema = defineAccountSchema('anthropic', {
  anthropicBeta: anthropicBetaField,
  oauth: anthropicOAuthSchema.optional(),
}).superRefine((account, ctx) => {
  if (account.oauth === undefined) return;
  for (const field of ['apiKey', 'authToken'] as const) {
    if (account[field] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: `anthropic account "${account.id}" sets both oauth and ${field}: an OAuth account's access token comes from its refresh token; leave ${field} out`,
    });
  }
});
export type AnthropicAccount = z.infer<typeof anthropicAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    anthropic: AnthropicAccount;
  }
}
