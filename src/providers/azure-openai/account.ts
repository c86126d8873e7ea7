/** The config of an Azure OpenAI account: the shared fields and Azure's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

/** An Entra ID app registration's client credentials (a client secret), for tokens relayq gets and refreshes itself. */
export const entraSchema = z.strictObject({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** The Entra ID authority (a sovereign cloud's, e.g. https://login.microsoftonline.us); Azure's public cloud when left out. */
  authorityHost: z.url().optional(),
});

export const azureOpenAIAccountSchema = defineAccountSchema('azure-openai', {
  /** Entra ID client credentials instead of an API key or a static token. */
  entra: entraSchema.optional(),
  /** Model name → deployment name; a model without an entry uses its own name. */
  deployments: z.record(z.string(), z.string().min(1)).optional(),
  /** The `api-version` query parameter (`v1` for the `/openai/v1/` routes). */
  apiVersion: z.string().min(1).optional(),
}).superRefine((account, ctx) => {
  if (account.entra === undefined) return;
  for (const field of ['apiKey', 'authToken'] as const) {
    if (account[field] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: `azure-openai account "${account.id}" sets both entra and ${field}: its tokens come from Entra ID; leave ${field} out`,
    });
  }
});
export type AzureOpenAIAccount = z.infer<typeof azureOpenAIAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    'azure-openai': AzureOpenAIAccount;
  }
}
