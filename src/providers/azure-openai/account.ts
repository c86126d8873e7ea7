/** The config of an Azure OpenAI account: the shared fields and Azure's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

/**
 * Entra ID tokens relayq gets and refreshes itself: an app registration's client secret
 * (`tenantId`, `clientId`, `clientSecret`, and `authorityHost` for a sovereign cloud), or the
 * managed identity of the Azure host relayq runs on (`managedIdentity: true`, or
 * `{clientId}` for a user-assigned one).
 */
export const entraSchema = z
  .strictObject({
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** The Entra ID authority (a sovereign cloud's, e.g. https://login.microsoftonline.us); Azure's public cloud when left out. */
    authorityHost: z.url().optional(),
    managedIdentity: z
      .union([z.literal(true), z.strictObject({ clientId: z.string().min(1) })], {
        error: 'must be true (the host identity) or {clientId: ID} (a user-assigned identity)',
      })
      .optional(),
  })
  .superRefine((entra, ctx) => {
    const secretFields = (['tenantId', 'clientId', 'clientSecret'] as const).filter((field) => entra[field] !== undefined);
    if (entra.managedIdentity !== undefined) {
      if (secretFields.length > 0 || entra.authorityHost !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'set either managedIdentity or tenantId, clientId and clientSecret (an app registration), not both',
        });
      }
      return;
    }
    if (secretFields.length < 3) {
      const missing = (['tenantId', 'clientId', 'clientSecret'] as const).filter((field) => entra[field] === undefined);
      ctx.addIssue({
        code: 'custom',
        message: `set tenantId, clientId and clientSecret (missing: ${missing.join(', ')}), or managedIdentity: true`,
      });
    }
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
