/** The config of an Azure OpenAI account: the shared fields and Azure's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

export const azureOpenAIAccountSchema = defineAccountSchema('azure-openai', {
  /** Model name → deployment name; a model without an entry uses its own name. */
  deployments: z.record(z.string(), z.string().min(1)).optional(),
  /** The `api-version` query parameter (`v1` for the `/openai/v1/` routes). */
  apiVersion: z.string().min(1).optional(),
});
export type AzureOpenAIAccount = z.infer<typeof azureOpenAIAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    'azure-openai': AzureOpenAIAccount;
  }
}
