/** The config of a Gemini account: the shared fields only. */
import type { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

export const geminiAccountSchema = defineAccountSchema('gemini', {});
export type GeminiAccount = z.infer<typeof geminiAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    gemini: GeminiAccount;
  }
}
