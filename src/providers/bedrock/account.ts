/**
 * The config of a Bedrock account: the shared fields, the region and SigV4 credentials (or
 * `apiKey`, an Amazon Bedrock API key; left out, the usual AWS_* environment variables are used),
 * and Anthropic's beta flags.
 */
import { z } from 'zod';
import { anthropicBetaField } from '../anthropic/account.ts';
import { defineAccountSchema } from '../shared/account-fields.ts';

/** The SigV4 credential fields of a Bedrock account. */
const bedrockSigV4Fields = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

export const bedrockAccountSchema = defineAccountSchema('bedrock', {
  region: z.string().min(1).optional(),
  accessKeyId: z.string().min(1).optional(),
  secretAccessKey: z.string().min(1).optional(),
  sessionToken: z.string().min(1).optional(),
  anthropicBeta: anthropicBetaField,
}).superRefine((account, ctx) => {
  // A Bedrock account authenticates one way: an API key (bearer) or SigV4 keys, never both.
  if (account.apiKey === undefined) return;
  const sigv4 = bedrockSigV4Fields.filter((field) => account[field] !== undefined);
  if (sigv4.length === 0) return;
  ctx.addIssue({
    code: 'custom',
    message:
      `bedrock account "${account.id}" sets both apiKey and ${sigv4.join(', ')}: use either an Amazon Bedrock ` +
      'API key (apiKey) or SigV4 keys (accessKeyId, secretAccessKey, sessionToken), not both',
    path: ['apiKey'],
  });
});
export type BedrockAccount = z.infer<typeof bedrockAccountSchema>;

declare module '../../executors/types.ts' {
  interface AccountsByProvider {
    bedrock: BedrockAccount;
  }
}
