/**
 * The token endpoints the simulator serves, each in its issuer's own wire format:
 *
 * - `POST /v1/oauth/token`: an OAuth 2.0 refresh grant as Anthropic's console serves it (JSON or
 *   form body `{grant_type: "refresh_token", refresh_token, client_id}` → `{token_type: "Bearer",
 *   access_token, expires_in, refresh_token, scope}`; errors RFC 6749 style, `{"error":
 *   "invalid_grant", "error_description": ...}` with 400).
 *
 * - `POST /token`: Google's OAuth 2.0 token endpoint for service accounts, the JWT bearer grant
 *   (RFC 7523: form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`). The
 *   assertion's RS256 signature is verified with the public key configured for its `iss` (the
 *   service account's email), its `aud` must be Google's token URL and its `exp` in the future;
 *   answered `{access_token: "ya29...", expires_in, token_type: "Bearer"}`, refusals
 *   `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}` with 400.
 *
 * - `GET /_aws/credentials`: the ECS / EKS container credentials endpoint (what
 *   AWS_CONTAINER_CREDENTIALS_FULL_URI names), answering temporary keys
 *   `{AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn}`; with `awsContainerAuthorization`
 *   set, a request without that `Authorization` is answered 401.
 *
 * Their calls are not counted in the providers' stats; `GET /_sim/tokens` has theirs.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { googleAccessTokenPrefix } from './tokens.ts';
import type { SimulatorRuntime } from './runtime.ts';

const oauthTokenPath = '/v1/oauth/token';
const googleTokenPath = '/token';
const googleTokenAudience = 'https://oauth2.googleapis.com/token';
const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const awsContainerPath = '/_aws/credentials';
const awsRoleArn = 'arn:aws:iam::123456789012:role/relayq-batch';

export function isTokenEndpoint(path: string): boolean {
  return path === oauthTokenPath || path === googleTokenPath || path === awsContainerPath;
}

export function serveTokenEndpoint(runtime: SimulatorRuntime, path: string, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= 1024 * 1024) chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const [status, answer] =
      path === oauthTokenPath
        ? oauthTokenAnswer(runtime, req, body)
        : path === googleTokenPath
          ? googleTokenAnswer(runtime, req, body)
          : awsContainerAnswer(runtime, req);
    reply(res, status, answer);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The fields of a JSON or `application/x-www-form-urlencoded` body (strings only). */
function formFields(req: IncomingMessage, body: string): Record<string, string> | undefined {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      const fields: Record<string, string> = {};
      for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields[name] = value;
      return fields;
    } catch {
      return undefined;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  return undefined;
}

type Reply = [status: number, body: unknown];

function oauthTokenAnswer(runtime: SimulatorRuntime, req: IncomingMessage, body: string): Reply {
  if (req.method !== 'POST') return [405, { error: 'invalid_request', error_description: 'use POST' }];
  const fields = formFields(req, body);
  if (fields === undefined) return [400, { error: 'invalid_request', error_description: 'a JSON or form body is required' }];
  if (fields.grant_type !== 'refresh_token') {
    return [400, { error: 'unsupported_grant_type', error_description: `grant_type ${fields.grant_type ?? '(none)'} is not supported` }];
  }
  if (!fields.client_id) return [401, { error: 'invalid_client', error_description: 'client_id is required' }];
  if (!fields.refresh_token) return [400, { error: 'invalid_request', error_description: 'refresh_token is required' }];
  const answer = runtime.tokens.refresh(fields.refresh_token);
  if ('error' in answer) return [400, { error: answer.error, error_description: answer.description }];
  return [
    200,
    {
      token_type: 'Bearer',
      access_token: answer.access.secret,
      expires_in: runtime.tokens.lifetimeSeconds,
      refresh_token: answer.refreshToken,
      scope: 'user:inference',
    },
  ];
}

function googleTokenAnswer(runtime: SimulatorRuntime, req: IncomingMessage, body: string): Reply {
  if (req.method !== 'POST') return [405, { error: 'invalid_request', error_description: 'use POST' }];
  const fields = formFields(req, body);
  if (fields === undefined) return [400, { error: 'invalid_request', error_description: 'a form body is required' }];
  if (fields.grant_type !== jwtBearerGrant) return [400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' }];
  const assertion = fields.assertion ?? '';
  const [header, payload, signature] = assertion.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    return [
      400,
      { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.' },
    ];
  }
  let claims: { iss?: unknown; aud?: unknown; exp?: unknown; iat?: unknown; scope?: unknown };
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return [400, { error: 'invalid_grant', error_description: 'Invalid JWT: the assertion is not base64url JSON.' }];
  }
  const account = runtime.config.tokens.googleServiceAccounts.find((entry) => entry.clientEmail === claims.iss);
  if (account === undefined) return [400, { error: 'invalid_grant', error_description: 'Invalid grant: account not found' }];
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(account.publicKey),
    Buffer.from(signature, 'base64url'),
  );
  if (alg !== 'RS256' || !signed) return [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }];
  const now = Date.now() / 1000;
  if (claims.aud !== googleTokenAudience || typeof claims.exp !== 'number' || claims.exp <= now || typeof claims.scope !== 'string') {
    return [
      400,
      { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.' },
    ];
  }
  const issued = runtime.tokens.issueFor(`google:${account.clientEmail}`, googleAccessTokenPrefix);
  if ('error' in issued) return [400, { error: 'invalid_grant', error_description: 'Invalid grant: account not found' }];
  return [200, { access_token: issued.secret, expires_in: runtime.tokens.lifetimeSeconds, token_type: 'Bearer' }];
}

function awsContainerAnswer(runtime: SimulatorRuntime, req: IncomingMessage): Reply {
  if (req.method !== 'GET') return [405, { code: 'MethodNotAllowed', message: 'use GET' }];
  const wanted = runtime.config.tokens.awsContainerAuthorization;
  if (wanted !== undefined && req.headers.authorization !== wanted)
    return [401, { code: 'Unauthorized', message: 'invalid authorization token' }];
  const issued = runtime.tokens.issueAwsKeys('aws:container');
  if ('error' in issued) return [403, { code: 'AccessDenied', message: 'the role cannot be assumed' }];
  return [
    200,
    {
      AccessKeyId: issued.accessKeyId,
      SecretAccessKey: issued.secretAccessKey,
      Token: issued.secret,
      Expiration: new Date(issued.expiresAt).toISOString(),
      RoleArn: awsRoleArn,
    },
  ];
}
