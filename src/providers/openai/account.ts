/** The config of an OpenAI account: the shared fields and OpenAI's own. */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

export const openaiAccountSchema = defineAccountSchema('openai', {
  /** The `OpenAI-Organization` and `OpenAI-Project` headers. */
  organization: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
});
export type OpenAIAccount = z.infer<typeof openaiAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    openai: OpenAIAccount;
  }
}
