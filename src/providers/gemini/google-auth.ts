/**
 * Google access tokens for a Gemini / Vertex AI account, through google-auth-library (loaded
 * only when an account has `googleAuth`):
 *
 * - `keyFile`: a service account key; each refresh signs a JWT assertion with its private key
 *   and trades it at the token endpoint (the JWT bearer grant). The file's `token_uri` is where
 *   the grant goes (Google's own unless the file says otherwise), over the account's dispatcher
 *   (its proxy, or the environment's).
 * - `adc: true`: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's
 *   login, the metadata server on Google Cloud), as google-auth-library finds them.
 * - `tokenUrl`: where either sends its token requests instead of Google's token endpoint.
 *
 * A refusal (a revoked or deleted key: `invalid_grant`) disables the account with its reason; a
 * token endpoint that cannot be reached leaves it enabled and the prompt retried.
 */
import { readFile } from 'node:fs/promises';
import { fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import { ProviderError } from '../../executors/errors.ts';
import { dispatcherFor } from '../../http/dispatchers.ts';
import { credentialKey, refreshFailed, refreshRefused } from '../shared/credentials.ts';
import type { GeminiAccount } from './account.ts';

type GoogleAuthLibrary = typeof import('google-auth-library');
type GoogleAuthConfig = NonNullable<GeminiAccount['googleAuth']>;

/** Where google-auth-library sends a service account's grant. */
const googleTokenUrl = 'https://oauth2.googleapis.com/token';

const serviceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  token_uri: z.url().optional(),
});

let library: Promise<GoogleAuthLibrary> | undefined;

/** google-auth-library, imported the first time an account needs it. */
function loadLibrary(accountId: string): Promise<GoogleAuthLibrary> {
  library ??= import('google-auth-library').catch((error: unknown) => {
    library = undefined;
    throw new ProviderError({
      kind: 'auth',
      provider: 'gemini',
      retryable: false,
      message: `gemini account "${accountId}" uses googleAuth, which needs the google-auth-library package: npm i google-auth-library (${(error as Error).message})`,
    });
  });
  return library;
}

const sources = new WeakMap<GeminiAccount, CredentialSource>();

/** The account's token source; undefined for an account without `googleAuth`. */
export function googleAuthSource(account: GeminiAccount): CredentialSource | undefined {
  const auth = account.googleAuth;
  if (auth === undefined) return undefined;
  let source = sources.get(account);
  if (source === undefined) {
    source = {
      key: credentialKey(account.id, 'google', auth.keyFile ?? 'adc', auth.tokenUrl ?? '', ...auth.scopes),
      accountId: account.id,
      provider: 'gemini',
      issue: () => (auth.keyFile === undefined ? applicationDefault(account, auth) : serviceAccount(account, auth, auth.keyFile)),
    };
    sources.set(account, source);
  }
  return source;
}

async function serviceAccount(account: GeminiAccount, auth: GoogleAuthConfig, keyFile: string): Promise<Credential> {
  let text: string;
  try {
    text = await readFile(keyFile, 'utf8');
  } catch (error) {
    throw refreshRefused(
      'gemini',
      account.id,
      `cannot read the service account key file ${keyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let key: z.infer<typeof serviceAccountKeySchema>;
  try {
    key = serviceAccountKeySchema.parse(JSON.parse(text));
  } catch {
    throw refreshRefused(
      'gemini',
      account.id,
      `${keyFile} is not a service account key file (JSON with "type": "service_account", client_email and private_key)`,
    );
  }
  const { JWT } = await loadLibrary(account.id);
  // A new client for every refresh: it holds no cached token, so a refused token is replaced.
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    scopes: auth.scopes,
    ...(key.private_key_id === undefined ? {} : { keyId: key.private_key_id }),
  });
  routeTokenRequests(client.transporter, account, auth.tokenUrl ?? key.token_uri ?? googleTokenUrl);
  const sentAt = Date.now();
  try {
    const tokens = await client.authorize();
    return credentialOf(account, tokens.access_token ?? undefined, tokens.expiry_date ?? undefined, sentAt);
  } catch (error) {
    throw tokenError(account, error);
  }
}

async function applicationDefault(account: GeminiAccount, auth: GoogleAuthConfig): Promise<Credential> {
  const { GoogleAuth } = await loadLibrary(account.id);
  const sentAt = Date.now();
  try {
    const client = await new GoogleAuth({ scopes: auth.scopes }).getClient();
    if (auth.tokenUrl !== undefined) routeTokenRequests(client.transporter, account, auth.tokenUrl);
    const { token } = await client.getAccessToken();
    return credentialOf(account, token ?? undefined, client.credentials.expiry_date ?? undefined, sentAt);
  } catch (error) {
    throw tokenError(account, error);
  }
}

interface Transporter {
  interceptors: {
    request: { add(interceptor: { resolved: (config: { url: URL | string; fetchImplementation?: unknown }) => unknown }): void };
  };
}

/** Sends the client's token requests to `tokenUrl`, over the account's dispatcher. */
function routeTokenRequests(transporter: unknown, account: GeminiAccount, tokenUrl: string): void {
  const dispatcher = dispatcherFor(account);
  (transporter as Transporter).interceptors.request.add({
    resolved: (config) => {
      if (String(config.url) === googleTokenUrl && tokenUrl !== googleTokenUrl) config.url = new URL(tokenUrl);
      config.fetchImplementation = (url: string | URL, init: Record<string, unknown>) => undiciFetch(url, { ...init, dispatcher });
      return config;
    },
  });
}

function credentialOf(account: GeminiAccount, token: string | undefined, expiry: number | undefined, sentAt: number): Credential {
  if (token === undefined || token === '') throw refreshFailed('gemini', account.id, 'google-auth-library returned no access token');
  return { secret: token, issuedAt: sentAt, expiresAt: expiry ?? sentAt + 3600_000 };
}

/** A refusal of the grant (400/401/403 with an OAuth error) or a failure to reach the endpoint. */
function tokenError(account: GeminiAccount, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const response = (error as { response?: { status?: number; data?: { error?: unknown; error_description?: unknown } } }).response;
  const status = response?.status;
  const data = response?.data;
  const reason =
    typeof data?.error === 'string'
      ? `${data.error}${typeof data.error_description === 'string' ? ` (${data.error_description})` : ''}`
      : (error as Error).message;
  if (status === 400 || status === 401 || status === 403) return refreshRefused('gemini', account.id, reason);
  return refreshFailed('gemini', account.id, reason, status);
}
