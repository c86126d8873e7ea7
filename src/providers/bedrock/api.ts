/**
 * Where and how to call Bedrock's InvokeModel for one account: the URL (model id URL-encoded,
 * since ARNs and inference-profile ids carry ':' and '/'), the request headers (SigV4-signed, or
 * an API key as a bearer token), and which response headers to keep.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { BedrockAccount } from './account.ts';
import { isBedrockApiKey, type BedrockAuth, type BedrockCredentials } from './credentials.ts';
import { pickHeaders } from '../shared/headers.ts';

/** The `anthropic_version` Bedrock's Anthropic models take in the body. */
export const bedrockAnthropicVersion = 'bedrock-2023-05-31';
/** The SigV4 service name of bedrock-runtime. */
export const bedrockSigningService = 'bedrock';
export const bedrockEventStreamType = 'application/vnd.amazon.eventstream';

/** `https://bedrock-runtime.{region}.amazonaws.com`, or the account's baseUrl without a trailing slash. */
export function bedrockBaseUrl(account: Pick<BedrockAccount, 'baseUrl'>, region: string): string {
  return (account.baseUrl ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, '');
}

/** `{base}/model/{modelId}/invoke` or `.../invoke-with-response-stream`. */
export function bedrockInvokeUrl(account: Pick<BedrockAccount, 'baseUrl'>, region: string, modelId: string, stream: boolean): string {
  const operation = stream ? 'invoke-with-response-stream' : 'invoke';
  return `${bedrockBaseUrl(account, region)}/model/${encodeURIComponent(modelId)}/${operation}`;
}

/** The headers every invoke request carries, whatever authenticates it. */
function contentHeaders(stream: boolean): Record<string, string> {
  return { 'content-type': 'application/json', accept: stream ? bedrockEventStreamType : 'application/json' };
}

export interface RequestHeadersInput extends Omit<SignInput, 'credentials'> {
  auth: BedrockAuth;
}

/**
 * The request headers for either kind of credentials: an API key goes as `Authorization: Bearer`
 * with no SigV4 headers at all (no x-amz-date, x-amz-content-sha256 or x-amz-security-token);
 * SigV4 keys sign the request.
 */
export async function bedrockRequestHeaders(input: RequestHeadersInput): Promise<Record<string, string>> {
  const { auth, ...rest } = input;
  if (!isBedrockApiKey(auth)) return signBedrockRequest({ ...rest, credentials: auth });
  return { 'user-agent': 'relayq', ...contentHeaders(input.stream), authorization: `Bearer ${auth.apiKey}` };
}

export interface SignInput {
  url: string;
  /** The exact body text that will be sent. */
  body: string;
  credentials: BedrockCredentials;
  stream: boolean;
  /** The signing time; now when left out. */
  signingDate?: Date;
}

/**
 * The request headers, SigV4-signed (host, content-type, accept, x-amz-date,
 * x-amz-content-sha256, x-amz-security-token when there is a session token). The signed path is
 * the URL's path as sent, so the encoded model id gets encoded once more in the canonical
 * request, as AWS does for every service but S3.
 */
export async function signBedrockRequest(input: SignInput): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const { credentials } = input;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    region: credentials.region,
    service: bedrockSigningService,
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { host: url.host, ...contentHeaders(input.stream) },
      body: input.body,
    },
    input.signingDate === undefined ? {} : { signingDate: input.signingDate },
  );
  const headers: Record<string, string> = { 'user-agent': 'relayq' };
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

/** Response headers worth keeping: request id, Bedrock's token counts and latency, retry hints. */
export function pickBedrockHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return pickHeaders(
    headers,
    (name) => name === 'x-amzn-requestid' || name === 'x-amzn-errortype' || name === 'retry-after' || name.startsWith('x-amzn-bedrock-'),
  );
}
