/**
 * How a Bedrock account authenticates, and in which region. Either an Amazon Bedrock API key,
 * sent as `Authorization: Bearer`, or SigV4 keys. The first of these that is set wins: the
 * account's `apiKey`; the account's own `accessKeyId`, `secretAccessKey` and `sessionToken`;
 * AWS_BEARER_TOKEN_BEDROCK; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. So an
 * account's own settings always beat the environment, and within each the API key comes first
 * (the AWS SDKs, too, take AWS_BEARER_TOKEN_BEDROCK over the AWS_* keys). The region is the
 * account's `region`, else AWS_REGION, else AWS_DEFAULT_REGION; an API key needs it as much as
 * SigV4 does, for the endpoint's host name. Keys are never mixed: a session token goes with the
 * keys it came with.
 */
import type { BedrockAccount } from './account.ts';
import { ProviderError } from '../../executors/errors.ts';

export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** Where the keys came from, for messages. */
  source: 'account' | 'environment' | 'chain';
}

/** An Amazon Bedrock API key (short-term or long-term), sent as `Authorization: Bearer` without SigV4. */
export interface BedrockApiKey {
  apiKey: string;
  region: string;
  /** Where the key came from, for messages. */
  source: 'account' | 'environment';
}

/** What one request is authenticated with: SigV4 keys or an API key. */
export type BedrockAuth = BedrockCredentials | BedrockApiKey;

export function isBedrockApiKey(auth: BedrockAuth): auth is BedrockApiKey {
  return 'apiKey' in auth;
}

/** Keys the AWS credential chain found (credential-chain.ts). */
export interface ChainedKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type BedrockCredentialAccount = Pick<
  BedrockAccount,
  'id' | 'region' | 'apiKey' | 'accessKeyId' | 'secretAccessKey' | 'sessionToken'
>;

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** AWS region names: letters, digits and dashes (they become part of the host name). */
const regionPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The API key or SigV4 credentials, and the region, in the order above. Throws a ProviderError
 * (`auth` when credentials are missing, `invalid_request` when the region is) that says which
 * setting or variable to add. Messages name settings and variables, never their values.
 */
export function resolveBedrockAuth(account: BedrockCredentialAccount, env: Environment = process.env, chained?: ChainedKeys): BedrockAuth {
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

  if (chained !== undefined) return { ...chained, region, source: 'chain' };
  // The config refuses an account with both an API key and SigV4 keys.
  if (account.apiKey !== undefined) return { apiKey: account.apiKey, region, source: 'account' };
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

  const bearerToken = nonEmpty(env.AWS_BEARER_TOKEN_BEDROCK);
  if (bearerToken !== undefined) return { apiKey: bearerToken, region, source: 'environment' };

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
      'no AWS credentials: set apiKey (an Amazon Bedrock API key), accessKeyId and secretAccessKey, or ' +
        'credentialChain (profiles, SSO, roles) on the account; or AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, in the environment ' +
        `(missing: ${missing.join(', ')})`,
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

function credentialError(kind: 'auth' | 'invalid_request', account: BedrockCredentialAccount, message: string): ProviderError {
  return new ProviderError({ kind, provider: 'bedrock', message: `bedrock account "${account.id}": ${message}` });
}
