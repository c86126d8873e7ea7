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
 * - Entra ID (Microsoft identity platform v2): `GET /{tenant}/v2.0/.well-known/openid-configuration`
 *   (the authority's metadata, naming the token endpoint here) and `POST /{tenant}/oauth2/v2.0/token`
 *   with the client credentials grant (form `grant_type=client_credentials&client_id&client_secret&scope`)
 *   → `{token_type: "Bearer", expires_in, ext_expires_in, access_token}`; a wrong secret is
 *   `{"error": "invalid_client", "error_description": "AADSTS7000215: ...", "error_codes": [7000215]}` with 401.
 *   Entra's clients take https:// authorities only: start the simulator with `tls` for them.
 * - `GET /msi/token?api-version=2019-08-01&resource=R`: App Service's managed identity endpoint
 *   (what IDENTITY_ENDPOINT names), `X-IDENTITY-HEADER` checked when `azureIdentityHeader` is set
 *   → `{access_token, expires_on (unix seconds), resource, token_type: "Bearer"}`.
 *
 * Their calls are not counted in the providers' stats; `GET /_sim/tokens` has theirs.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { entraAccessTokenPrefix, googleAccessTokenPrefix } from './tokens.ts';
import type { SimulatorRuntime } from './runtime.ts';

const oauthTokenPath = '/v1/oauth/token';
const googleTokenPath = '/token';
const googleTokenAudience = 'https://oauth2.googleapis.com/token';
const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const awsContainerPath = '/_aws/credentials';
const awsRoleArn = 'arn:aws:iam::123456789012:role/relayq-batch';

const managedIdentityPath = '/msi/token';
const entraPath = /^\/([A-Za-z0-9.-]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/;

export function isTokenEndpoint(path: string): boolean {
  return (
    path === oauthTokenPath || path === googleTokenPath || path === awsContainerPath || path === managedIdentityPath || entraPath.test(path)
  );
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
    let status: number;
    let answer: unknown;
    try {
      [status, answer] = tokenAnswer(runtime, path, req, body);
    } catch (error) {
      [status, answer] = [500, { error: 'server_error', error_description: `simulator error: ${(error as Error).message}` }];
    }
    reply(res, status, answer);
  });
}

function tokenAnswer(runtime: SimulatorRuntime, path: string, req: IncomingMessage, body: string): Reply {
  return path === oauthTokenPath
    ? oauthTokenAnswer(runtime, req, body)
    : path === googleTokenPath
      ? googleTokenAnswer(runtime, req, body)
      : path === awsContainerPath
        ? awsContainerAnswer(runtime, req)
        : path === managedIdentityPath
          ? managedIdentityAnswer(runtime, req)
          : entraAnswer(runtime, req, path, body);
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

function entraAnswer(runtime: SimulatorRuntime, req: IncomingMessage, path: string, body: string): Reply {
  const [, tenant = '', what] = entraPath.exec(path) ?? [];
  const origin = `${'encrypted' in req.socket ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}`;
  if (what !== 'oauth2/v2.0/token') {
    const base = `${origin}/${tenant}`;
    return [
      200,
      {
        issuer: `${origin}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        tenant_region_scope: 'NA',
      },
    ];
  }
  if (req.method !== 'POST')
    return [405, { error: 'invalid_request', error_description: 'AADSTS900561: The endpoint only accepts POST requests.' }];
  const fields = formFields(req, body) ?? {};
  if (fields.grant_type !== 'client_credentials') {
    return [
      400,
      {
        error: 'unsupported_grant_type',
        error_description: 'AADSTS70003: The app requested an unsupported grant type.',
        error_codes: [70003],
      },
    ];
  }
  const client = runtime.config.tokens.entraClients.find((entry) => entry.tenantId === tenant && entry.clientId === fields.client_id);
  if (client === undefined) {
    return [
      400,
      {
        error: 'unauthorized_client',
        error_description: `AADSTS700016: Application with identifier '${fields.client_id ?? ''}' was not found in the directory '${tenant}'.`,
        error_codes: [700016],
      },
    ];
  }
  if (fields.client_secret !== client.clientSecret) {
    return [
      401,
      {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        error_codes: [7000215],
      },
    ];
  }
  const issued = runtime.tokens.issueFor(`entra:${tenant}/${client.clientId}`, entraAccessTokenPrefix);
  if ('error' in issued)
    return [400, { error: 'invalid_grant', error_description: 'AADSTS7000112: Application is disabled.', error_codes: [7000112] }];
  const life = runtime.tokens.lifetimeSeconds;
  return [200, { token_type: 'Bearer', expires_in: life, ext_expires_in: life, access_token: issued.secret }];
}

function managedIdentityAnswer(runtime: SimulatorRuntime, req: IncomingMessage): Reply {
  if (req.method !== 'GET') return [405, { statusCode: 405, message: 'use GET' }];
  const wanted = runtime.config.tokens.azureIdentityHeader;
  if (wanted !== undefined && req.headers['x-identity-header'] !== wanted) {
    return [401, { statusCode: 401, message: 'Unauthorized: the X-IDENTITY-HEADER is missing or wrong' }];
  }
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const resource = query.get('resource');
  if (query.get('api-version') !== '2019-08-01' || resource === null || resource === '') {
    return [400, { statusCode: 400, message: 'api-version 2019-08-01 and a resource are required' }];
  }
  const issued = runtime.tokens.issueFor('entra:managed-identity', entraAccessTokenPrefix);
  if ('error' in issued) return [400, { statusCode: 400, message: 'the identity is not available' }];
  return [
    200,
    {
      access_token: issued.secret,
      expires_on: String(Math.floor(issued.expiresAt / 1000)),
      resource,
      token_type: 'Bearer',
      client_id: '00000000-0000-0000-0000-00000000beef',
    },
  ];
}
