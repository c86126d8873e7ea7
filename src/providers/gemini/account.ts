/**
 * The config of a Gemini account: the shared fields, and `googleAuth` for an account whose
 * access tokens relayq gets itself (Vertex AI, or Gemini with OAuth): a service account key file,
 * or Application Default Credentials, through google-auth-library (google-auth.ts).
 */
import { z } from 'zod';
import { defineAccountSchema } from '../shared/account-fields.ts';

/** The scope Vertex AI and the Gemini API take for OAuth access tokens. */
export const googleCloudPlatformScope = 'https://www.googleapis.com/auth/cloud-platform';

export const googleAuthSchema = z
  .strictObject({
    /** A service account key file (JSON, `"type": "service_account"`). */
    keyFile: z.string().min(1).optional(),
    /** Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, or the metadata server on Google Cloud. */
    adc: z.literal(true).optional(),
    scopes: z.array(z.string().min(1)).min(1).default([googleCloudPlatformScope]),
    /**
     * Where token requests go instead of Google's (a Private Service Connect endpoint); a key
     * file's own `token_uri` is used otherwise.
     */
    tokenUrl: z.url().optional(),
  })
  .refine((auth) => (auth.keyFile === undefined) !== (auth.adc === undefined), {
    message: 'set either keyFile (a service account key file) or adc: true (Application Default Credentials)',
  });

export const geminiAccountSchema = defineAccountSchema('gemini', { googleAuth: googleAuthSchema.optional() }).superRefine(
  (account, ctx) => {
    if (account.googleAuth === undefined) return;
    for (const field of ['apiKey', 'authToken'] as const) {
      if (account[field] === undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `gemini account "${account.id}" sets both googleAuth and ${field}: its access tokens come from googleAuth; leave ${field} out`,
      });
    }
  },
);
export type GeminiAccount = z.infer<typeof geminiAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    gemini: GeminiAccount;
  }
}
