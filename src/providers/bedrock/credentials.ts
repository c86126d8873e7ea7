/**
 * AWS credentials and region for a Bedrock account: the account's own `accessKeyId`,
 * `secretAccessKey`, `sessionToken` and `region`, else the environment variables the AWS tools
 * read (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION /
 * AWS_DEFAULT_REGION). Keys are never mixed: a session token goes with the keys it came with.
 */
import type { Account } from '../../config/schema.ts';
import { ProviderError } from '../../executors/errors.ts';

export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** Where the keys came from, for messages. */
  source: 'account' | 'environment';
}

export type BedrockCredentialAccount = Pick<
  Account,
  'id' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'sessionToken'
>;

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** AWS region names: letters, digits and dashes (they become part of the host name). */
const regionPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The credentials and region to sign with. Throws a ProviderError (`auth` when keys are missing,
 * `invalid_request` when the region is) that says which setting or variable to add.
 */
export function resolveBedrockCredentials(
  account: BedrockCredentialAccount,
  env: Environment = process.env,
): BedrockCredentials {
  const region = account.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined) {
    throw credentialError(
      'invalid_request',
      account,
      'no AWS region: set "region" on the account, or AWS_REGION (or AWS_DEFAULT_REGION) in the environment',
    );
  }
  if (!regionPattern.test(region)) {
    throw credentialError('invalid_request', account, `"${region}" is not an AWS region name (like us-east-1)`);
  }

  if (account.accessKeyId !== undefined || account.secretAccessKey !== undefined) {
    if (account.accessKeyId === undefined) {
      throw credentialError('auth', account, 'the account sets secretAccessKey but not accessKeyId; set both');
    }
    if (account.secretAccessKey === undefined) {
      throw credentialError('auth', account, 'the account sets accessKeyId but not secretAccessKey; set both');
    }
    return {
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
      ...(account.sessionToken === undefined ? {} : { sessionToken: account.sessionToken }),
      region,
      source: 'account',
    };
  }
  if (account.sessionToken !== undefined) {
    throw credentialError(
      'auth',
      account,
      'the account sets sessionToken without accessKeyId and secretAccessKey; a session token only works with the keys it was issued with',
    );
  }

  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    const missing = [
      accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : undefined,
      secretAccessKey === undefined ? 'AWS_SECRET_ACCESS_KEY' : undefined,
    ].filter((name) => name !== undefined);
    throw credentialError(
      'auth',
      account,
      'no AWS credentials: set accessKeyId and secretAccessKey on the account, or AWS_ACCESS_KEY_ID and ' +
        `AWS_SECRET_ACCESS_KEY in the environment (missing: ${missing.join(', ')})`,
    );
  }
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken === undefined ? {} : { sessionToken }),
    region,
    source: 'environment',
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function credentialError(
  kind: 'auth' | 'invalid_request',
  account: BedrockCredentialAccount,
  message: string,
): ProviderError {
  return new ProviderError({ kind, provider: 'bedrock', message: `bedrock account "${account.id}": ${message}` });
}
