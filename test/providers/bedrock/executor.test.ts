/**
 * The Bedrock executor against the simulator over real HTTP: SigV4 checked with the key's
 * secret, Amazon Bedrock API keys as bearer tokens, JSON answers and event-stream answers, and
 * every failure mapped to the kind the worker acts on — for both `execute` and `executeStream`.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import type { ErrorKind } from '../../../src/executors/errors.ts';
import type { ExecuteRequest } from '../../../src/executors/types.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { BedrockExecutor } from '../../../src/providers/bedrock/executor.ts';
import { inputTokensOf, simulatedAnswer } from '../../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/server.ts';
import { availabilityFixture } from '../../helpers/availability.ts';
import { startLocalServer, type LocalServer } from '../../http/local-server.ts';
import { bedrockAccount, run, type Mode } from './helpers.ts';

const accessKeyId = 'AKIDRELAYQTEST';
const secret = 'relayq-test-secret';
/** An Amazon Bedrock API key the simulator accepts as a bearer token. */
const apiKey = 'ABSKcmVsYXlxLXRlc3QtYXBpLWtleQ==';
const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

let sim: RunningSimulator;
/** Passes requests on to the simulator and keeps what they carried. */
let relay: LocalServer;
let accounts: Account[] = [];
const executor = new BedrockExecutor({ accounts: () => accounts }, { env: {} });

function account(overrides: Record<string, unknown> = {}): Account {
  return bedrockAccount({ baseUrl: sim.url, accessKeyId, secretAccessKey: secret, ...overrides });
}

/** An account that authenticates with an API key only. */
function apiKeyAccount(overrides: Record<string, unknown> = {}): Account {
  return account({ accessKeyId: undefined, secretAccessKey: undefined, apiKey, ...overrides });
}

function promptRequest(prompt: string, body: Record<string, unknown> = {}, model = modelId): ExecuteRequest {
  return {
    provider: 'bedrock',
    model,
    body: { model, max_tokens: 256, messages: [{ role: 'user', content: prompt }], ...body },
  };
}

beforeAll(async () => {
  sim = await startSimulator({
    acceptAnyKey: false,
    keys: [
      { key: accessKeyId, secret },
      { key: 'AKIDLIMITED', secret: 'limited-secret', limits: { rpm: 60 } },
      { key: apiKey, bearer: true },
    ],
    burstSeconds: 1,
  });
  relay = await startLocalServer((req, res) => {
    const upstream = httpRequest(`${sim.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.end(req.bodyText);
  });
});
afterAll(async () => {
  await closeDispatchers();
  await relay.close();
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  relay.requests.length = 0;
  accounts = [];
});

describe.each<Mode>(['execute', 'executeStream'])('%s', (mode) => {
  it('answers with the simulated answer and fills usage', async () => {
    const prompt = `Tell me about ${mode} on Bedrock`;
    const request = promptRequest(prompt);
    const { result, error } = await run(executor, mode, request, account());

    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer(prompt));
    expect(result?.statusCode).toBe(200);
    expect(result?.finishReason).toEqual({ unified: 'stop', raw: 'end_turn' });
    expect(result?.usage.inputTokens).toBe(inputTokensOf(request.body));
    expect(result?.usage.outputTokens).toBeGreaterThan(0);
    expect(result?.body.id).toMatch(/^msg_bdrk_/);
    expect(result?.body.model).toBe('claude-sonnet-4-5-20250929');
    expect(result?.headers['x-amzn-requestid']).toMatch(/^req_/);
    expect(sim.stats().byKey[accessKeyId]?.succeeded).toBe(1);
  });

  it.each<[string, string, ErrorKind, number, boolean]>([
    ['a throttling 429', '[[sim:fault=rate_limit]]', 'rate_limited', 429, true],
    ['an overload 503', '[[sim:fault=overloaded]]', 'overloaded', 503, true],
    ['an internal 500', '[[sim:fault=server]]', 'server', 500, true],
    ['a refused model', '[[sim:fault=permission]]', 'permission', 403, false],
    ['a missing model', '[[sim:fault=not_found]]', 'not_found', 404, false],
    ['a prompt too long for the model', '[[sim:fault=too_large]]', 'context_length', 400, false],
  ])('maps %s', async (_name, directive, kind, status, retryable) => {
    const { error, result } = await run(executor, mode, promptRequest(`please ${directive}`), account());
    expect(result).toBeUndefined();
    expect(error?.kind).toBe(kind);
    expect(error?.statusCode).toBe(status);
    expect(error?.retryable).toBe(retryable);
    expect(error?.provider).toBe('bedrock');
    expect(error?.message).toContain('bedrock-test');
    expect(error?.headers['x-amzn-errortype']).toMatch(/^[A-Za-z]+Exception:/);
  });

  it('maps a signature made with the wrong secret to auth', async () => {
    const { error } = await run(executor, mode, promptRequest('hello'), account({ secretAccessKey: 'not-the-secret' }));
    expect(error?.kind).toBe('auth');
    expect(error?.statusCode).toBe(403);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('InvalidSignatureException');
    expect(error?.message).not.toContain('not-the-secret');
  });

  it('maps an unknown access key to auth', async () => {
    const { error } = await run(executor, mode, promptRequest('hello'), account({ accessKeyId: 'AKIDUNKNOWN' }));
    expect(error?.kind).toBe('auth');
    expect(error?.message).toContain('UnrecognizedClientException');
  });

  it('maps a body Bedrock refuses to invalid_request', async () => {
    const request = promptRequest('hello', { messages: [{ role: 'assistant', content: 'I speak first' }] });
    const { error } = await run(executor, mode, request, account());
    expect(error?.kind).toBe('invalid_request');
    expect(error?.statusCode).toBe(400);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('ValidationException');
    expect(error?.message).toContain('first message must use the "user" role');
  });

  it('maps a connection cut mid-answer to a retryable network error, never a half result', async () => {
    const { error, result, parts } = await run(
      executor,
      mode,
      promptRequest('cut me [[sim:fault=cut-stream]] [[sim:words=40]]'),
      account(),
    );
    expect(result).toBeUndefined();
    expect(error?.kind).toBe('network');
    expect(error?.retryable).toBe(true);
    expect(parts.some((part) => part.type === 'done')).toBe(false);
    if (mode === 'executeStream') {
      // Some text arrived before the cut, and still no result was made of it.
      expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
    }
  });

  it('maps a failure in the middle of the answer to a retryable error', async () => {
    const { error, result, parts } = await run(
      executor,
      mode,
      promptRequest('fail me [[sim:fault=stream-error]] [[sim:words=40]]'),
      account(),
    );
    expect(result).toBeUndefined();
    expect(error?.kind).toBe('overloaded');
    expect(error?.retryable).toBe(true);
    if (mode === 'executeStream') {
      expect(error?.message).toContain('modelStreamErrorException');
      expect(error?.statusCode).toBe(200);
      expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
    } else {
      expect(error?.statusCode).toBe(503);
    }
  });

  it('signs ARN model ids (":" and "/" in the path) so that Bedrock accepts them', async () => {
    const arn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${modelId}`;
    const { result, error } = await run(executor, mode, promptRequest('hello ARN', {}, arn), account());
    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer('hello ARN'));
  });

  it('signs the session token and sends the account beta flags', async () => {
    const { result, error } = await run(
      executor,
      mode,
      promptRequest('hello token', { anthropic_beta: ['beta-b'] }),
      account({ sessionToken: 'session-token-value', anthropicBeta: ['beta-a'] }),
    );
    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer('hello token'));
  });

  it('uses AWS_* credentials from the environment when the account has none', async () => {
    const fromEnv = new BedrockExecutor(
      { accounts: () => [] },
      { env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'eu-west-1' } },
    );
    const bare = account({ accessKeyId: undefined, secretAccessKey: undefined, region: undefined });
    const { result, error } = await run(fromEnv, mode, promptRequest('hello env'), bare);
    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer('hello env'));
  });

  it('fails without a request when credentials are missing', async () => {
    const bare = account({ accessKeyId: undefined, secretAccessKey: undefined });
    const { error } = await run(executor, mode, promptRequest('hello'), bare);
    expect(error?.kind).toBe('auth');
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('AWS_ACCESS_KEY_ID');
    expect(sim.stats().requests).toBe(0);
  });

  it('sends an API key as a bearer token, with no SigV4 headers', async () => {
    const prompt = `Hello bearer ${mode} [[sim:words=20]]`;
    const { result, error } = await run(executor, mode, promptRequest(prompt), apiKeyAccount({ baseUrl: relay.url }));
    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer(prompt));
    expect(result?.usage.outputTokens).toBeGreaterThan(0);
    const [seen] = relay.requests;
    expect(seen?.url).toMatch(new RegExp(`^/model/[^/]+/${mode === 'execute' ? 'invoke' : 'invoke-with-response-stream'}$`));
    expect(seen?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(Object.keys(seen?.headers ?? {}).filter((name) => name.startsWith('x-amz'))).toEqual([]);
    expect(sim.stats().byKey[apiKey]?.succeeded).toBe(1);
  });

  it('maps an API key Bedrock refuses to auth, without repeating the key', async () => {
    const wrongKey = 'ABSKbm90LXRoZS1rZXk=';
    const { error } = await run(executor, mode, promptRequest('hello'), apiKeyAccount({ apiKey: wrongKey }));
    expect(error?.kind).toBe('auth');
    expect(error?.statusCode).toBe(403);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('AccessDeniedException: Authentication failed');
    expect(error?.message).not.toContain(wrongKey);
  });

  // In each row the credentials that should lose are ones the simulator refuses, so only the
  // winner can make the call succeed; the simulator counts it under the key that was used.
  const refusedEnvKeys = { AWS_ACCESS_KEY_ID: 'AKIDUNKNOWN', AWS_SECRET_ACCESS_KEY: 'unknown-secret' };
  const refusedEnvBearer = { AWS_BEARER_TOKEN_BEDROCK: 'ABSKd3Jvbmc=' };
  const noSigV4 = { accessKeyId: undefined, secretAccessKey: undefined };
  it.each<[string, Record<string, unknown>, Record<string, string>, string]>([
    ["the account's apiKey over the environment", { ...noSigV4, apiKey }, { ...refusedEnvBearer, ...refusedEnvKeys }, apiKey],
    ["the account's SigV4 keys over AWS_BEARER_TOKEN_BEDROCK", {}, refusedEnvBearer, accessKeyId],
    [
      'AWS_BEARER_TOKEN_BEDROCK over AWS_* keys when the account has none',
      noSigV4,
      { AWS_BEARER_TOKEN_BEDROCK: apiKey, ...refusedEnvKeys },
      apiKey,
    ],
  ])('uses %s', async (_name, overrides, env, usedKey) => {
    const withEnv = new BedrockExecutor({ accounts: () => [] }, { env: { AWS_REGION: 'eu-west-1', ...env } });
    const { result, error } = await run(withEnv, mode, promptRequest('who am I'), account({ region: undefined, ...overrides }));
    expect(error).toBeUndefined();
    expect(result?.text).toBe(simulatedAnswer('who am I'));
    expect(Object.keys(sim.stats().byKey)).toEqual([usedKey]);
  });

  it("maps the key's own request limit to rate_limited", async () => {
    const limited = account({ accessKeyId: 'AKIDLIMITED', secretAccessKey: 'limited-secret' });
    const first = await run(executor, mode, promptRequest('one'), limited);
    const second = await run(executor, mode, promptRequest('two'), limited);
    expect(first.error).toBeUndefined();
    expect(second.error?.kind).toBe('rate_limited');
    expect(second.error?.message).toContain('ThrottlingException');
    expect(sim.stats().byKey.AKIDLIMITED?.rateLimited).toBe(1);
  });
});

describe('execute and executeStream agree', () => {
  it('give the same text, usage and finish reason for the same prompt', async () => {
    const request = promptRequest('agree on this [[sim:words=25]]', { stop_sequences: ['w7 '] });
    const plain = await run(executor, 'execute', request, account());
    const streamed = await run(executor, 'executeStream', request, account());
    expect(plain.result?.finishReason).toEqual({ unified: 'stop_sequence', raw: 'stop_sequence' });
    expect(streamed.result?.text).toBe(plain.result?.text);
    expect({ ...streamed.result?.usage, raw: undefined }).toEqual({ ...plain.result?.usage, raw: undefined });
    expect(streamed.result?.finishReason).toEqual(plain.result?.finishReason);
    const deltas = streamed.parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : []));
    expect(deltas.join('')).toBe(plain.result?.text);
  });
});

describe('availability', () => {
  const fixture = availabilityFixture();
  afterAll(() => fixture.close());

  it('counts the enabled bedrock accounts only', async () => {
    const listed = [
      account(),
      account({ id: 'off', enabled: false }),
      // An Anthropic account takes none of Bedrock's fields.
      accountSchema.parse({ id: 'anthropic-one', provider: 'anthropic', apiKey: 'sk-ant-test' }),
    ];
    const counting = new BedrockExecutor(await fixture.context(listed), { env: {} });
    expect(await counting.getAvailableAccountsCount()).toBe(1);
    expect(await counting.isAvailable()).toBe(true);
    expect(await new BedrockExecutor(await fixture.context([]), { env: {} }).isAvailable()).toBe(false);
  });
});
