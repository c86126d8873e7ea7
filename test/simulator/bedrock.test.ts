/**
 * The simulator speaking Bedrock Runtime over real HTTP: SigV4 and API key checks, Bedrock's body
 * rules and error shapes, JSON and event-stream answers, faults and stats. Requests are signed (or
 * given their bearer token) by relayq's own code (src/providers/bedrock/api.ts) and sent with fetch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockInvokeUrl, bedrockRequestHeaders } from '../../src/providers/bedrock/api.ts';
import type { BedrockApiKey, BedrockAuth, BedrockCredentials } from '../../src/providers/bedrock/credentials.ts';
import { EventStreamFrameReader, stringHeader } from '../../src/providers/bedrock/event-stream.ts';
import { inputTokensOf, simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';

const modelId = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const credentials: BedrockCredentials = {
  accessKeyId: 'AKIDSIM',
  secretAccessKey: 'sim-secret',
  region: 'us-east-1',
  source: 'account',
};
const apiKey: BedrockApiKey = { apiKey: 'ABSKc2ltdWxhdG9yLWFwaS1rZXk=', region: 'us-east-1', source: 'account' };
const limitedApiKey: BedrockApiKey = { ...apiKey, apiKey: 'bedrock-api-key-limited' };

let sim: RunningSimulator;
let open: RunningSimulator;

interface Sent {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  json: Record<string, unknown> | undefined;
}

function bedrockBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { anthropic_version: 'bedrock-2023-05-31', max_tokens: 300, messages: [{ role: 'user', content: prompt }], ...extra };
}

async function invoke(
  body: unknown,
  options: {
    target?: RunningSimulator;
    stream?: boolean;
    credentials?: BedrockAuth;
    signingDate?: Date;
    /** Changes the signed headers before sending (to break or drop the signature). */
    tamper?: (headers: Record<string, string>) => void;
    /** Sent instead of the body that was signed. */
    sentBody?: string;
  } = {},
): Promise<Sent> {
  const target = options.target ?? sim;
  const url = bedrockInvokeUrl({ baseUrl: target.url }, 'us-east-1', modelId, options.stream ?? false);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = await bedrockRequestHeaders({
    url,
    body: text,
    auth: options.credentials ?? credentials,
    stream: options.stream ?? false,
    ...(options.signingDate === undefined ? {} : { signingDate: options.signingDate }),
  });
  delete headers.host;
  options.tamper?.(headers);
  const response = await fetch(url, { method: 'POST', headers, body: options.sentBody ?? text });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const json =
    response.headers.get('content-type') === 'application/json'
      ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>)
      : undefined;
  return { status: response.status, headers: response.headers, bytes, json };
}

function expectBedrockError(sent: Sent, status: number, type: string, message?: string | RegExp): void {
  expect(sent.status).toBe(status);
  expect(sent.headers.get('x-amzn-errortype')).toMatch(new RegExp(`^${type}:http://internal\\.amazon\\.com/coral/`));
  expect(sent.headers.get('x-amzn-requestid')).toMatch(/^req_/);
  expect(Object.keys(sent.json ?? {})).toEqual(['message']);
  if (message !== undefined) expect(sent.json?.message).toMatch(message);
}

/** Decodes the frames of a stream answer: Anthropic events from chunks, exceptions as they are. */
function framesOf(bytes: Uint8Array): { events: Record<string, unknown>[]; exceptions: { type: string; payload: unknown }[] } {
  const reader = new EventStreamFrameReader();
  const messages = reader.push(bytes);
  reader.finish();
  const events: Record<string, unknown>[] = [];
  const exceptions: { type: string; payload: unknown }[] = [];
  for (const message of messages) {
    const payload = JSON.parse(Buffer.from(message.body).toString('utf8')) as Record<string, unknown>;
    if (stringHeader(message, ':message-type') === 'exception') {
      exceptions.push({ type: stringHeader(message, ':exception-type') ?? '', payload });
      continue;
    }
    expect(stringHeader(message, ':event-type')).toBe('chunk');
    expect(stringHeader(message, ':content-type')).toBe('application/json');
    events.push(JSON.parse(Buffer.from(payload.bytes as string, 'base64').toString('utf8')) as Record<string, unknown>);
  }
  return { events, exceptions };
}

function textOf(events: Record<string, unknown>[]): string {
  return events
    .filter((event) => event.type === 'content_block_delta')
    .map((event) => (event.delta as { text: string }).text)
    .join('');
}

beforeAll(async () => {
  sim = await startSimulator({
    acceptAnyKey: false,
    keys: [
      { key: credentials.accessKeyId, secret: credentials.secretAccessKey },
      { key: apiKey.apiKey, bearer: true },
      // 30 a minute with the default 2-second burst: room for one request.
      { key: limitedApiKey.apiKey, bearer: true, limits: { rpm: 30 } },
    ],
  });
  open = await startSimulator({});
});
afterAll(async () => {
  await sim.close();
  await open.close();
});
beforeEach(() => sim.reset());

describe('answers', () => {
  it('answers InvokeModel with an Anthropic message and Bedrock headers', async () => {
    const body = bedrockBody('What is SigV4?', { anthropic_beta: ['token-efficient-tools-2025-02-19'] });
    const sent = await invoke(body);
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-3-5-haiku-20241022',
      content: [{ type: 'text', text: simulatedAnswer('What is SigV4?') }],
      stop_reason: 'end_turn',
      usage: { input_tokens: inputTokensOf(body) },
    });
    expect(sent.json?.id).toMatch(/^msg_bdrk_/);
    expect(sent.headers.get('x-amzn-requestid')).toMatch(/^req_/);
    expect(sent.headers.get('x-amzn-bedrock-input-token-count')).toBe(String(inputTokensOf(body)));
    expect(sent.headers.get('x-amzn-bedrock-output-token-count')).toBe(
      String((sent.json?.usage as { output_tokens: number }).output_tokens),
    );
    const stats = sim.stats();
    expect(stats.byKey[credentials.accessKeyId]).toMatchObject({ requests: 1, succeeded: 1, inputTokens: inputTokensOf(body) });
  });

  it('streams the answer as chunk frames of Anthropic events', async () => {
    const sent = await invoke(bedrockBody('Stream this please [[sim:words=30]]'), { stream: true });
    expect(sent.status).toBe(200);
    expect(sent.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const { events, exceptions } = framesOf(sent.bytes);
    expect(exceptions).toEqual([]);
    expect(events.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      ...events.filter((event) => event.type === 'content_block_delta').map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(textOf(events)).toBe(simulatedAnswer('Stream this please [[sim:words=30]]'));
    expect(events.at(-1)?.['amazon-bedrock-invocationMetrics']).toMatchObject({ inputTokenCount: expect.any(Number) });
    expect(sim.stats().byStatus['200']).toBe(1);
  });

  it('ends a stream with a modelStreamErrorException frame for the stream-error fault', async () => {
    const sent = await invoke(bedrockBody('[[sim:fault=stream-error]] [[sim:words=30]]'), { stream: true });
    expect(sent.status).toBe(200);
    const { events, exceptions } = framesOf(sent.bytes);
    expect(textOf(events).length).toBeGreaterThan(0);
    expect(events.some((event) => event.type === 'message_stop')).toBe(false);
    expect(exceptions).toEqual([{ type: 'modelStreamErrorException', payload: expect.objectContaining({ originalStatusCode: 529 }) }]);
    expect(sim.stats().byStatus.stream_error).toBe(1);
  });

  it.each([
    ['rate_limit', 429, 'ThrottlingException'],
    ['overloaded', 503, 'ServiceUnavailableException'],
    ['server', 500, 'InternalServerException'],
    ['permission', 403, 'AccessDeniedException'],
    ['not_found', 404, 'ResourceNotFoundException'],
    ['too_large', 400, 'ValidationException'],
  ])('answers the %s fault with %i %s', async (fault, status, type) => {
    const sent = await invoke(bedrockBody(`[[sim:fault=${fault}]]`));
    expectBedrockError(sent, status, type);
    expect(sim.stats().faults[fault]).toBe(1);
  });
});

describe('body rules', () => {
  it.each([
    ['model present', bedrockBody('x', { model: modelId }), /extraneous key \[model\]/],
    ['stream present', bedrockBody('x', { stream: true }), /extraneous key \[stream\]/],
    ['anthropic_version missing', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, /required key \[anthropic_version\]/],
    ['another anthropic_version', bedrockBody('x', { anthropic_version: '2023-06-01' }), /Invalid API version/],
    ['anthropic_beta not a list', bedrockBody('x', { anthropic_beta: 'a,b' }), /anthropic_beta/],
    ['an unknown field', bedrockBody('x', { colour: 'blue' }), /colour: Extra inputs are not permitted/],
    [
      'no max_tokens',
      { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'x' }] },
      /max_tokens: Field required/,
    ],
    ['not JSON', '{"anthropic_version":', /Malformed input request/],
    ['a bad directive', bedrockBody('[[sim:fault=nope]]'), /unknown fault/],
  ])('refuses %s with 400 ValidationException', async (_name, body, message) => {
    expectBedrockError(await invoke(body), 400, 'ValidationException', message);
  });
});

describe('models', () => {
  it('serves model ids whose id or Anthropic name matches the configured models, and refuses others', async () => {
    const limited = await startSimulator({ models: ['claude-3-5-haiku-*'] });
    try {
      expect((await invoke(bedrockBody('x'), { target: limited })).status).toBe(200);
      const other = await startSimulator({ models: ['claude-opus-*'] });
      try {
        expectBedrockError(await invoke(bedrockBody('x'), { target: other }), 400, 'ValidationException', /model identifier is invalid/);
      } finally {
        await other.close();
      }
    } finally {
      await limited.close();
    }
  });
});

describe('SigV4', () => {
  it('refuses a request without Authorization', async () => {
    const sent = await invoke(bedrockBody('x'), { tamper: (headers) => delete headers.authorization });
    expectBedrockError(sent, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  it('refuses an Authorization header without a signature', async () => {
    const sent = await invoke(bedrockBody('x'), {
      tamper: (headers) => {
        headers.authorization = (headers.authorization ?? '').replace(/, Signature=.*$/, '');
      },
    });
    expectBedrockError(sent, 403, 'IncompleteSignatureException', /requires 'Signature'/);
  });

  it('refuses an unknown access key', async () => {
    const sent = await invoke(bedrockBody('x'), { credentials: { ...credentials, accessKeyId: 'AKIDOTHER' } });
    expectBedrockError(sent, 403, 'UnrecognizedClientException', /security token included in the request is invalid/);
  });

  it('refuses a signature made with another secret', async () => {
    const sent = await invoke(bedrockBody('x'), { credentials: { ...credentials, secretAccessKey: 'wrong' } });
    expectBedrockError(sent, 403, 'InvalidSignatureException', /does not match the signature you provided/);
  });

  it('refuses a body changed after signing', async () => {
    const sent = await invoke(bedrockBody('signed text'), { sentBody: JSON.stringify(bedrockBody('other text')) });
    expectBedrockError(sent, 403, 'InvalidSignatureException');
  });

  it('refuses a changed signed header', async () => {
    const sent = await invoke(bedrockBody('x'), { tamper: (headers) => (headers.accept = 'text/plain') });
    expectBedrockError(sent, 403, 'InvalidSignatureException');
  });

  it('accepts a session token that was signed', async () => {
    const sent = await invoke(bedrockBody('with token'), { credentials: { ...credentials, sessionToken: 'tok/en+=' } });
    expect(sent.status).toBe(200);
  });

  it('allows 5 minutes of clock skew either way, not more', async () => {
    const at = (minutes: number): Date => new Date(Date.now() + minutes * 60_000);
    expect((await invoke(bedrockBody('x'), { signingDate: at(-4) })).status).toBe(200);
    expect((await invoke(bedrockBody('x'), { signingDate: at(4) })).status).toBe(200);
    expectBedrockError(await invoke(bedrockBody('x'), { signingDate: at(-6) }), 403, 'InvalidSignatureException', /^Signature expired/);
    expectBedrockError(
      await invoke(bedrockBody('x'), { signingDate: at(6) }),
      403,
      'InvalidSignatureException',
      /^Signature not yet current/,
    );
  });

  it('checks the service in the credential scope', async () => {
    const sent = await invoke(bedrockBody('x'), {
      tamper: (headers) => {
        headers.authorization = (headers.authorization ?? '').replace('/bedrock/aws4_request', '/s3/aws4_request');
      },
    });
    expectBedrockError(sent, 403, 'InvalidSignatureException', /scoped to correct service: 'bedrock'/);
  });

  it('accepts any secret for keys it has no secret for, but still wants a well-formed signature', async () => {
    const anyKey = { ...credentials, accessKeyId: 'AKIDANY', secretAccessKey: 'whatever' };
    expect((await invoke(bedrockBody('x'), { target: open, credentials: anyKey })).status).toBe(200);
    const unsigned = await invoke(bedrockBody('x'), { target: open, tamper: (headers) => delete headers.authorization });
    expectBedrockError(unsigned, 403, 'MissingAuthenticationTokenException');
    expect(open.stats().byKey.AKIDANY?.succeeded).toBe(1);
  });
});

describe('API keys', () => {
  it.each([false, true])('accepts a bearer key configured for it (stream: %s)', async (stream) => {
    const prompt = `Bearer me [[sim:words=12]] ${stream}`;
    const sent = await invoke(bedrockBody(prompt), { stream, credentials: apiKey });
    expect(sent.status).toBe(200);
    const text = stream ? textOf(framesOf(sent.bytes).events) : ((sent.json?.content as { text: string }[])[0]?.text ?? '');
    expect(text).toBe(simulatedAnswer(prompt));
    expect(sim.stats().byKey[apiKey.apiKey]).toMatchObject({ requests: 1, succeeded: 1 });
  });

  it.each<[string, Record<string, string>]>([
    ['an unknown key', { authorization: 'Bearer ABSKbm90LWEta2V5' }],
    ['a key that differs in case', { authorization: `Bearer ${apiKey.apiKey.toLowerCase()}` }],
    ['a bearer scheme without a key', { authorization: 'Bearer' }],
    ['an access key id sent as a bearer token', { authorization: `Bearer ${credentials.accessKeyId}` }],
  ])('refuses %s with 403 AccessDeniedException, as Bedrock does', async (_name, replaced) => {
    const sent = await invoke(bedrockBody('x'), { credentials: apiKey, tamper: (headers) => Object.assign(headers, replaced) });
    expectBedrockError(sent, 403, 'AccessDeniedException', 'Authentication failed: Please make sure your API Key is valid.');
    expect(Buffer.from(sent.bytes).toString('utf8')).not.toContain(apiKey.apiKey);
    expect(sim.stats().byStatus['403']).toBe(1);
  });

  it('does not take an API key as an access key id for SigV4', async () => {
    const sent = await invoke(bedrockBody('x'), { credentials: { ...credentials, accessKeyId: apiKey.apiKey } });
    expectBedrockError(sent, 403, 'UnrecognizedClientException');
  });

  it("applies the key's own rate limits", async () => {
    expect((await invoke(bedrockBody('one'), { credentials: limitedApiKey })).status).toBe(200);
    expectBedrockError(await invoke(bedrockBody('two'), { credentials: limitedApiKey }), 429, 'ThrottlingException');
    expect(sim.stats().byKey[limitedApiKey.apiKey]).toMatchObject({ succeeded: 1, rateLimited: 1 });
    // Another key's buckets are its own.
    expect((await invoke(bedrockBody('three'), { credentials: apiKey })).status).toBe(200);
  });

  it('accepts any bearer key when acceptAnyKey is on', async () => {
    const anyKey = { ...apiKey, apiKey: 'bedrock-api-key-anything' };
    expect((await invoke(bedrockBody('x'), { target: open, credentials: anyKey })).status).toBe(200);
    expect(open.stats().byKey[anyKey.apiKey]?.succeeded).toBe(1);
  });
});
