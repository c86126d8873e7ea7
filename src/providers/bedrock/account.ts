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
  /**
   * The AWS SDK's default credential chain (env, SSO, a profile of ~/.aws, web identity, the
   * ECS/EKS container or EC2 instance role), refreshed before its keys expire: `true`, or
   * `{profile: NAME}` for one profile of ~/.aws/config.
   */
  credentialChain: z
    .union([z.literal(true), z.strictObject({ profile: z.string().min(1) })], {
      error: 'must be true (the default chain) or {profile: NAME} (one profile of ~/.aws/config)',
    })
    .optional(),
  anthropicBeta: anthropicBetaField,
}).superRefine((account, ctx) => {
  if (account.credentialChain !== undefined) {
    const set = (['apiKey', ...bedrockSigV4Fields] as const).filter((field) => account[field] !== undefined);
    if (set.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialChain'],
        message: `bedrock account "${account.id}" sets both credentialChain and ${set.join(', ')}: the chain finds its own keys; leave ${set.join(', ')} out`,
      });
    }
  }
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
