/**
 * AWS keys for a Bedrock account with `credentialChain`, from the AWS SDK's default chain
 * (`fromNodeProviderChain` of @aws-sdk/credential-providers, loaded only when an account asks):
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, SSO, a profile of ~/.aws (`{profile: NAME}`),
 * credential_process, web identity (EKS), the ECS / EKS container endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI), the EC2 instance role. Each refresh runs
 * a new chain (nothing cached inside the SDK), so keys the store refreshes are keys fetched anew;
 * the store refreshes them before their `Expiration` (src/accounts/credential-store.ts).
 *
 * A chain that finds no keys disables the account with the SDK's reason: the chain already
 * retries its own endpoints, and what is left is a setup to fix.
 */
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import { ProviderError } from '../../executors/errors.ts';
import { credentialKey, refreshRefused } from '../shared/credentials.ts';
import type { BedrockAccount } from './account.ts';
import type { ChainedKeys } from './credentials.ts';

type CredentialProviders = typeof import('@aws-sdk/credential-providers');

/** Keys without an Expiration (from the environment, a profile) are fetched again after this long. */
const staticKeysLifeMs = 3600_000;

let library: Promise<CredentialProviders> | undefined;

function loadLibrary(accountId: string): Promise<CredentialProviders> {
  library ??= import('@aws-sdk/credential-providers').catch((error: unknown) => {
    library = undefined;
    throw new ProviderError({
      kind: 'auth',
      provider: 'bedrock',
      retryable: false,
      message: `bedrock account "${accountId}" uses credentialChain, which needs the @aws-sdk/credential-providers package: npm i @aws-sdk/credential-providers (${(error as Error).message})`,
    });
  });
  return library;
}

const sources = new WeakMap<BedrockAccount, CredentialSource>();

/** The account's chain; undefined for an account without `credentialChain`. */
export function awsChainSource(account: BedrockAccount): CredentialSource | undefined {
  const chain = account.credentialChain;
  if (chain === undefined) return undefined;
  let source = sources.get(account);
  if (source === undefined) {
    const profile = chain === true ? undefined : chain.profile;
    source = {
      key: credentialKey(account.id, 'aws-chain', profile ?? '(default)', account.region ?? ''),
      accountId: account.id,
      provider: 'bedrock',
      issue: () => fetchKeys(account, profile),
    };
    sources.set(account, source);
  }
  return source;
}

async function fetchKeys(account: BedrockAccount, profile: string | undefined): Promise<Credential> {
  const { fromNodeProviderChain } = await loadLibrary(account.id);
  const sentAt = Date.now();
  let found: Awaited<ReturnType<ReturnType<typeof fromNodeProviderChain>>>;
  try {
    found = await fromNodeProviderChain({
      ...(profile === undefined ? {} : { profile }),
      ...(account.region === undefined ? {} : { clientConfig: { region: account.region } }),
    })();
  } catch (error) {
    throw refreshRefused('bedrock', account.id, `the AWS credential chain found no credentials: ${(error as Error).message}`);
  }
  const keys: ChainedKeys = {
    accessKeyId: found.accessKeyId,
    secretAccessKey: found.secretAccessKey,
    ...(found.sessionToken === undefined ? {} : { sessionToken: found.sessionToken }),
  };
  return { secret: JSON.stringify(keys), issuedAt: sentAt, expiresAt: found.expiration?.getTime() ?? sentAt + staticKeysLifeMs };
}

/** The keys a chain credential holds. */
export function chainedKeysOf(credential: Credential): ChainedKeys {
  return JSON.parse(credential.secret) as ChainedKeys;
}
