/**
 * Credentials (API key or SigV4 keys; account, then environment), URLs, the request headers for
 * an API key, and the SigV4 signature checked against the algorithm as AWS documents it, computed
 * here step by step with node:crypto.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isProviderError } from '../../../src/executors/errors.ts';
import { bedrockInvokeUrl, bedrockRequestHeaders, pickBedrockHeaders, signBedrockRequest } from '../../../src/providers/bedrock/api.ts';
import { resolveBedrockAuth, type BedrockCredentialAccount } from '../../../src/providers/bedrock/credentials.ts';

const base: BedrockCredentialAccount = { id: 'acct' };

function failure(account: BedrockCredentialAccount, env: Record<string, string>): { kind: string; message: string } {
  try {
    resolveBedrockAuth(account, env);
  } catch (error) {
    if (isProviderError(error)) return { kind: error.kind, message: error.message };
    throw error;
  }
  throw new Error('expected the credentials to be refused');
}

describe('resolveBedrockAuth', () => {
  const env = {
    AWS_ACCESS_KEY_ID: 'AKIDENV',
    AWS_SECRET_ACCESS_KEY: 'env-secret',
    AWS_SESSION_TOKEN: 'env-token',
    AWS_REGION: 'eu-west-3',
    AWS_DEFAULT_REGION: 'ap-south-1',
  };

  it("uses the account's keys, token and region first", () => {
    const account = { ...base, accessKeyId: 'AKIDACCT', secretAccessKey: 's', sessionToken: 't', region: 'us-west-2' };
    expect(resolveBedrockAuth(account, env)).toEqual({
      accessKeyId: 'AKIDACCT',
      secretAccessKey: 's',
      sessionToken: 't',
      region: 'us-west-2',
      source: 'account',
    });
  });

  it("does not pair the account's keys with the environment's session token", () => {
    const credentials = resolveBedrockAuth({ ...base, accessKeyId: 'AKIDACCT', secretAccessKey: 's' }, env);
    expect(credentials).not.toHaveProperty('sessionToken');
    expect(credentials.region).toBe('eu-west-3');
  });

  it('reads AWS_* variables when the account has no keys', () => {
    expect(resolveBedrockAuth(base, env)).toEqual({
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
      region: 'eu-west-3',
      source: 'environment',
    });
    const { AWS_REGION: _region, AWS_SESSION_TOKEN: _token, ...rest } = env;
    const credentials = resolveBedrockAuth(base, rest);
    expect(credentials.region).toBe('ap-south-1');
    expect(credentials).not.toHaveProperty('sessionToken');
  });

  // Each row takes away what won the row before: the account's own settings first, the API key
  // first within the account and within the environment.
  const sigv4FromAccount = { accessKeyId: 'AKIDACCT', secretAccessKey: 'acct-secret' };
  const bearerEnv = { ...env, AWS_BEARER_TOKEN_BEDROCK: 'env-api-key' };
  it.each([
    [
      "the account's apiKey over everything else",
      { ...base, apiKey: 'acct-api-key' },
      bearerEnv,
      { apiKey: 'acct-api-key', source: 'account' },
    ],
    [
      "the account's SigV4 keys over AWS_BEARER_TOKEN_BEDROCK",
      { ...base, ...sigv4FromAccount },
      bearerEnv,
      { accessKeyId: 'AKIDACCT', source: 'account' },
    ],
    ['AWS_BEARER_TOKEN_BEDROCK over the AWS_* keys', base, bearerEnv, { apiKey: 'env-api-key', source: 'environment' }],
    ['the AWS_* keys when nothing else is set', base, env, { accessKeyId: 'AKIDENV', source: 'environment' }],
    [
      'the AWS_* keys when AWS_BEARER_TOKEN_BEDROCK is blank',
      base,
      { ...env, AWS_BEARER_TOKEN_BEDROCK: ' ' },
      { accessKeyId: 'AKIDENV', source: 'environment' },
    ],
  ] as const)('takes %s', (_name, account, environment, expected) => {
    const auth = resolveBedrockAuth(account, environment);
    expect(auth).toMatchObject({ ...expected, region: 'eu-west-3' });
    // An API key comes alone: no SigV4 keys or session token ride along with it.
    if ('apiKey' in expected) expect(Object.keys(auth).sort()).toEqual(['apiKey', 'region', 'source']);
  });

  it('still needs a region for an API key, and never repeats the key in its messages', () => {
    const refused = failure({ ...base, apiKey: 'secret-api-key' }, {});
    expect(refused.kind).toBe('invalid_request');
    expect(refused.message).toMatch(/AWS_REGION/);
    expect(refused.message).not.toContain('secret-api-key');
  });

  it.each([
    [
      'no keys anywhere',
      base,
      { AWS_REGION: 'us-east-1' },
      'auth',
      /apiKey .*AWS_BEARER_TOKEN_BEDROCK.*AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/,
    ],
    [
      'half the keys in the environment',
      base,
      { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'A' },
      'auth',
      /missing: AWS_SECRET_ACCESS_KEY\)/,
    ],
    ['an account key id without its secret', { ...base, accessKeyId: 'A' }, env, 'auth', /accessKeyId but not secretAccessKey/],
    ['an account secret without its key id', { ...base, secretAccessKey: 's' }, env, 'auth', /secretAccessKey but not accessKeyId/],
    ['a session token without keys', { ...base, sessionToken: 't' }, env, 'auth', /sessionToken without accessKeyId/],
    ['no region', { ...base, accessKeyId: 'A', secretAccessKey: 's' }, {}, 'invalid_request', /AWS_REGION/],
    ['a region that is not one', { ...base, region: 'us east/1' }, env, 'invalid_request', /not an AWS region name/],
  ] as const)('refuses %s, saying what to set', (_name, account, environment, kind, pattern) => {
    const refused = failure(account, environment);
    expect(refused.kind).toBe(kind);
    expect(refused.message).toMatch(pattern);
    expect(refused.message).toContain('bedrock account "acct"');
  });
});

describe('bedrockInvokeUrl', () => {
  it('builds the regional endpoint and encodes the model id', () => {
    expect(bedrockInvokeUrl({}, 'us-east-1', 'anthropic.claude-3-haiku-20240307-v1:0', false)).toBe(
      'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke',
    );
    expect(
      bedrockInvokeUrl(
        { baseUrl: 'https://gateway.example/bedrock/' },
        'eu-west-1',
        'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123',
        true,
      ),
    ).toBe(
      'https://gateway.example/bedrock/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/invoke-with-response-stream',
    );
  });
});

/** SigV4 as the AWS documentation describes it (non-S3 services: the path URI-encoded twice). */
function referenceSignature(input: {
  path: string;
  host: string;
  headers: Record<string, string>;
  body: string;
  amzDate: string;
  region: string;
  secret: string;
}): { signedHeaders: string; signature: string } {
  const uriEncode = (text: string): string =>
    encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalPath = input.path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
  const names = Object.keys(input.headers).sort();
  const canonicalRequest = [
    'POST',
    canonicalPath,
    '',
    ...names.map((name) => `${name}:${(input.headers[name] ?? '').trim()}`),
    '',
    names.join(';'),
    createHash('sha256').update(input.body).digest('hex'),
  ].join('\n');
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/bedrock/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secret}`, date), input.region), 'bedrock'), 'aws4_request');
  return { signedHeaders: names.join(';'), signature: createHmac('sha256', key).update(stringToSign).digest('hex') };
}

describe('signBedrockRequest', () => {
  it('signs as the SigV4 reference does, ARN model ids included', async () => {
    const url = bedrockInvokeUrl(
      {},
      'us-west-2',
      'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      true,
    );
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, messages: [] });
    const headers = await signBedrockRequest({
      url,
      body,
      stream: true,
      signingDate: new Date('2025-03-04T05:06:07Z'),
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        sessionToken: 'token/with+chars=',
        region: 'us-west-2',
        source: 'account',
      },
    });
    const payloadHash = createHash('sha256').update(body).digest('hex');
    expect(headers).toMatchObject({
      host: 'bedrock-runtime.us-west-2.amazonaws.com',
      'content-type': 'application/json',
      accept: 'application/vnd.amazon.eventstream',
      'x-amz-date': '20250304T050607Z',
      'x-amz-security-token': 'token/with+chars=',
      'x-amz-content-sha256': payloadHash,
    });
    const reference = referenceSignature({
      path: new URL(url).pathname,
      host: 'bedrock-runtime.us-west-2.amazonaws.com',
      headers: {
        accept: 'application/vnd.amazon.eventstream',
        'content-type': 'application/json',
        host: 'bedrock-runtime.us-west-2.amazonaws.com',
        'x-amz-content-sha256': payloadHash,
        'x-amz-date': '20250304T050607Z',
        'x-amz-security-token': 'token/with+chars=',
      },
      body,
      amzDate: '20250304T050607Z',
      region: 'us-west-2',
      secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250304/us-west-2/bedrock/aws4_request, ` +
        `SignedHeaders=${reference.signedHeaders}, Signature=${reference.signature}`,
    );
  });
});

describe('bedrockRequestHeaders', () => {
  const url = bedrockInvokeUrl({}, 'eu-central-1', 'anthropic.claude-3-haiku-20240307-v1:0', false);
  const body = '{"anthropic_version":"bedrock-2023-05-31"}';

  it.each([false, true])('sends an API key as a bearer token and nothing of SigV4 (stream: %s)', async (stream) => {
    const auth = { apiKey: 'ABSKexample', region: 'eu-central-1', source: 'account' } as const;
    const headers = await bedrockRequestHeaders({ url, body, stream, auth });
    expect(headers).toEqual({
      'user-agent': 'relayq',
      'content-type': 'application/json',
      accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      authorization: 'Bearer ABSKexample',
    });
  });

  it('signs with SigV4 keys', async () => {
    const headers = await bedrockRequestHeaders({
      url,
      body,
      stream: false,
      auth: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-central-1', source: 'environment' },
    });
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('pickBedrockHeaders', () => {
  it('keeps the request id, Bedrock token counts and retry hints', () => {
    expect(
      pickBedrockHeaders({
        'x-amzn-requestid': 'r1',
        'x-amzn-bedrock-input-token-count': '12',
        'x-amzn-bedrock-output-token-count': '7',
        'retry-after': '2',
        'content-type': 'application/json',
        date: 'today',
      }),
    ).toEqual({
      'x-amzn-requestid': 'r1',
      'x-amzn-bedrock-input-token-count': '12',
      'x-amzn-bedrock-output-token-count': '7',
      'retry-after': '2',
    });
  });
});
