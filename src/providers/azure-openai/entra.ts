/**
 * Entra ID tokens for an Azure OpenAI account with `entra`, through @azure/identity (loaded only
 * when an account asks), for the `https://cognitiveservices.azure.com/.default` scope: an app
 * registration's client secret (ClientSecretCredential), or the host's managed identity
 * (ManagedIdentityCredential: App Service / Functions, Azure Arc, Cloud Shell, the VM's IMDS, as
 * MSAL detects them). Each refresh makes a new credential; a client secret's then holds no cached
 * token, so a token Azure refused is replaced with a new one (MSAL keeps managed identity tokens
 * in one cache per process, renewed 5 minutes before they expire, when relayq asks too).
 * A refusal (a wrong or expired secret, an unknown app: AADSTS errors) disables the account.
 */
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import { ProviderError } from '../../executors/errors.ts';
import { credentialKey, refreshFailed, refreshRefused } from '../shared/credentials.ts';
import type { AzureOpenAIAccount } from './account.ts';

type AzureIdentity = typeof import('@azure/identity');

/** The scope of Azure OpenAI (Cognitive Services) tokens. */
export const azureOpenAIScope = 'https://cognitiveservices.azure.com/.default';

let library: Promise<AzureIdentity> | undefined;

function loadLibrary(accountId: string): Promise<AzureIdentity> {
  library ??= import('@azure/identity').catch((error: unknown) => {
    library = undefined;
    throw new ProviderError({
      kind: 'auth',
      provider: 'azure-openai',
      retryable: false,
      message: `azure-openai account "${accountId}" uses entra, which needs the @azure/identity package: npm i @azure/identity (${(error as Error).message})`,
    });
  });
  return library;
}

const sources = new WeakMap<AzureOpenAIAccount, CredentialSource>();

/** The account's Entra ID token source; undefined for an account without `entra`. */
export function entraSource(account: AzureOpenAIAccount): CredentialSource | undefined {
  const entra = account.entra;
  if (entra === undefined) return undefined;
  let source = sources.get(account);
  if (source === undefined) {
    source = {
      key: credentialKey(
        account.id,
        'entra',
        JSON.stringify(entra.managedIdentity ?? null),
        entra.authorityHost ?? '',
        entra.tenantId ?? '',
        entra.clientId ?? '',
        entra.clientSecret ?? '',
      ),
      accountId: account.id,
      provider: 'azure-openai',
      issue: () => entraToken(account, entra),
    };
    sources.set(account, source);
  }
  return source;
}

async function entraToken(account: AzureOpenAIAccount, entra: NonNullable<AzureOpenAIAccount['entra']>): Promise<Credential> {
  const { ClientSecretCredential, ManagedIdentityCredential, AuthenticationError } = await loadLibrary(account.id);
  const { managedIdentity } = entra;
  // The schema holds either managedIdentity or all three of tenantId, clientId and clientSecret.
  const credential =
    managedIdentity !== undefined
      ? managedIdentity === true
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId: managedIdentity.clientId })
      : new ClientSecretCredential(entra.tenantId ?? '', entra.clientId ?? '', entra.clientSecret ?? '', {
          ...(entra.authorityHost === undefined ? {} : { authorityHost: entra.authorityHost, disableInstanceDiscovery: true }),
        });
  const sentAt = Date.now();
  try {
    const token = await credential.getToken(azureOpenAIScope);
    return { secret: token.token, issuedAt: sentAt, expiresAt: token.expiresOnTimestamp };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    const status = (error as { statusCode?: number }).statusCode;
    // AADSTS answers (400 / 401: a wrong secret, an unknown app) are Entra's word; anything else may pass.
    if (error instanceof AuthenticationError && (status === 400 || status === 401 || status === 403 || /AADSTS\d+/.test(message))) {
      throw refreshRefused('azure-openai', account.id, message);
    }
    // No managed identity on this host (or no app registration answers): a setup to fix.
    if (/AADSTS\d+/.test(message) || (error as Error).name === 'CredentialUnavailableError') {
      throw refreshRefused('azure-openai', account.id, message);
    }
    throw refreshFailed('azure-openai', account.id, message);
  }
}
