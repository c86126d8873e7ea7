/**
 * Bedrock's two ways in. SigV4 as Bedrock checks it: the Authorization header's shape, the access
 * key, the clock (±5 minutes), the credential scope (service `bedrock`), and the signature itself,
 * recomputed for the request as received with the key's secret by the same signer clients use
 * (signing the same canonical request gives the same signature). Keys without a `secret` in the
 * simulator config (and keys accepted through `acceptAnyKey`) get every check but the last. And
 * Amazon Bedrock API keys, sent as `Authorization: Bearer`: keys configured with `bearer: true`
 * (and, with `acceptAnyKey`, any key not configured otherwise); a bearer key is not an access key
 * id, nor the other way round.
 */
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { KeyLimiter } from '../buckets.ts';
import type { SimulatorConfig, SimulatorKey } from '../config.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { awsTemporaryKeyPrefix } from '../tokens.ts';
import type { BedrockErrorType } from './bedrock-response.ts';

export type BedrockAuthResult =
  /** `key`: the access key id, or the API key; rate limits and stats go by it. */
  { ok: true; key: string; limiter: KeyLimiter } | { ok: false; type: BedrockErrorType; message: string };

/** How far a request's x-amz-date may be from the simulator's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const entriesByConfig = new WeakMap<SimulatorConfig, ReadonlyMap<string, SimulatorKey>>();

/** The configured entry of a key, if it is listed. */
function entryOf(config: SimulatorConfig, key: string): SimulatorKey | undefined {
  let entries = entriesByConfig.get(config);
  if (entries === undefined) {
    entries = new Map(config.keys.map((entry) => [entry.key, entry] as const));
    entriesByConfig.set(config, entries);
  }
  return entries.get(key);
}

/** What Bedrock answers for an API key it does not accept (wrong, unknown or expired). */
const apiKeyRefused: BedrockAuthResult = {
  ok: false,
  type: 'AccessDeniedException',
  message: 'Authentication failed: Please make sure your API Key is valid.',
};

/** `Bearer <token>` → the token (empty when there is none); undefined for any other scheme. */
function bearerTokenOf(authorization: string): string | undefined {
  const match = /^bearer(?:\s+(.*))?$/i.exec(authorization.trim());
  return match === null ? undefined : (match[1] ?? '').trim();
}

function verifyBearer(token: string, runtime: SimulatorRuntime, now: number): BedrockAuthResult {
  if (token === '' || entryOf(runtime.config, token)?.bearer === false) return apiKeyRefused;
  const limiter = runtime.keys.limiterFor(token, now);
  return limiter === undefined ? apiKeyRefused : { ok: true, key: token, limiter };
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | string {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(header.trim());
  if (match === null) return 'Authorization header must use the AWS4-HMAC-SHA256 algorithm.';
  const fields = new Map<string, string>();
  for (const part of (match[1] ?? '').split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    return missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ');
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope.some((part) => part === '')) {
    return 'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request.';
  }
  const [accessKeyId, scopeDate, region, service] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: (fields.get('SignedHeaders') ?? '').split(';').filter((name) => name !== ''),
    signature: fields.get('Signature') ?? '',
  };
}

/** `20250101T120000Z` → Date, or undefined. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export async function verifyBedrockAuth(exchange: Exchange, runtime: SimulatorRuntime, now = Date.now()): Promise<BedrockAuthResult> {
  const { headers } = exchange.req;
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') {
    return { ok: false, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  }
  const bearerToken = bearerTokenOf(authorization);
  if (bearerToken !== undefined) return verifyBearer(bearerToken, runtime, now);
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') return { ok: false, type: 'IncompleteSignatureException', message: parsed };

  let entry = entryOf(runtime.config, parsed.accessKeyId);
  let key = parsed.accessKeyId;
  if (parsed.accessKeyId.startsWith(awsTemporaryKeyPrefix)) {
    // Temporary keys of the container credentials endpoint: their secret, their session token, their life.
    const issued = runtime.tokens.awsKeys(parsed.accessKeyId);
    if (issued.status === 'expired')
      return { ok: false, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' };
    if (issued.status !== 'valid' || headerText(headers['x-amz-security-token']) !== issued.sessionToken) {
      return { ok: false, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    }
    entry = { key: parsed.accessKeyId, secret: issued.secretAccessKey, bearer: false, limits: {} };
    key = issued.family;
  }
  const limiter = entry?.bearer === true ? undefined : runtime.keys.limiterFor(key, now);
  if (limiter === undefined) {
    return { ok: false, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  const amzDate = headerText(headers['x-amz-date']);
  const signingDate = parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined) {
    return {
      ok: false,
      type: 'IncompleteSignatureException',
      message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    };
  }
  if (!amzDate.startsWith(parsed.scopeDate)) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    };
  }
  if (parsed.service !== 'bedrock') {
    return { ok: false, type: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'bedrock'." };
  }
  const skew = signingDate.getTime() - now;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    const nowText = amzFormat(new Date(now));
    const boundText = amzFormat(new Date(now + (skew < 0 ? -MAX_CLOCK_SKEW_MS : MAX_CLOCK_SKEW_MS)));
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message:
        skew < 0
          ? `Signature expired: ${amzDate} is now earlier than ${boundText} (${nowText} - 5 min.)`
          : `Signature not yet current: ${amzDate} is still later than ${boundText} (${nowText} + 5 min.)`,
    };
  }
  if (!parsed.signedHeaders.includes('host')) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    };
  }

  const secret = entry?.secret;
  if (secret !== undefined && !(await signatureMatches(exchange, parsed, secret, signingDate))) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, key, limiter };
}

/**
 * Signs the request as received (its path, query, signed headers and body) and compares the
 * result. `x-amz-content-sha256` is left to the signer, which hashes the body that arrived, so
 * a header that does not match the body fails too.
 */
async function signatureMatches(exchange: Exchange, parsed: ParsedAuthorization, secret: string, signingDate: Date): Promise<boolean> {
  const { req } = exchange;
  const signedHeaders: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    if (name === 'x-amz-content-sha256' || name === 'x-amz-date') continue;
    const value = headerText(req.headers[name]);
    if (value === undefined) return false;
    signedHeaders[name] = value;
  }
  const sessionToken = parsed.signedHeaders.includes('x-amz-security-token') ? headerText(req.headers['x-amz-security-token']) : undefined;
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (queryStart >= 0) {
    for (const [name, value] of new URLSearchParams(url.slice(queryStart + 1))) {
      const previous = query[name];
      query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) },
    region: parsed.region,
    service: parsed.service,
    sha256: Sha256,
    applyChecksum: parsed.signedHeaders.includes('x-amz-content-sha256'),
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: signedHeaders.host ?? '',
      path: exchange.path,
      query,
      headers: signedHeaders,
      body: exchange.body,
    },
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
  const given = Buffer.from(parsed.signature);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function amzFormat(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
