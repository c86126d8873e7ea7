import { describe, expect, it } from 'vitest';
import { routeModel, type RoutingRule } from '../../src/accounts/routing.ts';
import { detectLineFormat } from '../../src/ingest/formats/detect.ts';
import { parseLine, type LineResult } from '../../src/ingest/parse-line.ts';

const messages = [{ role: 'user', content: 'Hi' }];

function chatBatchLine(customId: string, model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'system', content: 'Be brief.' }, ...messages], max_tokens: 50, ...extra },
  });
}

function value(result: LineResult) {
  if (!result.ok) throw new Error(`expected the line to be accepted, got: ${result.error}`);
  return result.value;
}

function error(result: LineResult): string {
  if (result.ok) throw new Error('expected the line to be rejected');
  return result.error;
}

describe('parseLine', () => {
  it('accepts Anthropic batch lines', () => {
    const result = parseLine(JSON.stringify({ custom_id: 'a', params: { model: 'claude-x', max_tokens: 10, messages } }));
    expect(result).toEqual({
      ok: true,
      value: {
        customId: 'a',
        provider: 'anthropic',
        model: 'claude-x',
        stream: false,
        format: 'native',
        body: { model: 'claude-x', max_tokens: 10, messages },
      },
    });
  });

  it('accepts native lines, taking the model from the line and the stream flag from either place', () => {
    const result = parseLine(
      JSON.stringify({ custom_id: 'b', provider: 'anthropic', model: 'my-model', stream: true, body: { max_tokens: 5, messages } }),
    );
    expect(result.ok && result.value).toMatchObject({
      provider: 'anthropic',
      model: 'my-model',
      stream: true,
      body: { model: 'my-model' },
    });
    const inBody = parseLine(JSON.stringify({ custom_id: 'c', body: { model: 'claude-y', max_tokens: 5, messages, stream: true } }));
    expect(inBody.ok && inBody.value).toMatchObject({ provider: 'anthropic', stream: true });
    expect(inBody.ok && 'stream' in inBody.value.body).toBe(false);
  });

  it.each([
    ['{"custom_id": "x", ', /^invalid JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"params": {}}', /missing custom_id/],
    ['{"custom_id": "", "params": {}}', /custom_id: must not be empty/],
    [
      '{"custom_id": "x", "prompt": "hi"}',
      /unknown line format: expected \{"custom_id", "method", "url", "body"\} or \{"custom_id", "params"\} or \{"custom_id", "body"\}/,
    ],
    ['{"custom_id": "x", "body": {"max_tokens": 5, "messages": []}}', /no model/],
    [
      '{"custom_id": "x", "body": {"model": "llama-3", "max_tokens": 5, "messages": []}}',
      /cannot tell which provider serves model "llama-3": set "provider" on the line, or add a routing rule/,
    ],
    ['{"custom_id": "x", "params": {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]}}', /body\.max_tokens/],
    ['{"custom_id": "x", "params": {"model": "claude-x", "max_tokens": 5, "messages": []}}', /body\.messages/],
    [
      '{"custom_id": "x", "params": {"model": "claude-x", "max_tokens": 5, "messages": [{"role": "bot", "content": "x"}]}}',
      /body\.messages\[0\]\.role/,
    ],
  ])('rejects %s with a clear message', (line, message) => {
    expect(error(parseLine(line))).toMatch(message);
  });

  it('keeps the custom_id of a rejected line for the report', () => {
    const result = parseLine('{"custom_id": "keep-me", "params": {"model": "claude-x"}}');
    expect(result).toMatchObject({ ok: false, customId: 'keep-me' });
  });
});

describe('parseLine: OpenAI formats', () => {
  it('reads an OpenAI Batch chat line as an OpenAI chat request, for OpenAI with its endpoint', () => {
    const line = JSON.parse(chatBatchLine('q1', 'gpt-4o-mini', { stream: true })) as { body: Record<string, unknown> };
    const parsed = value(parseLine(JSON.stringify(line)));
    const { stream: _stream, ...bodyWithoutStream } = line.body;
    expect(parsed).toEqual({
      customId: 'q1',
      provider: 'openai',
      model: 'gpt-4o-mini',
      body: bodyWithoutStream,
      stream: true,
      format: 'openai-chat',
      endpoint: '/v1/chat/completions',
    });
  });

  it('sends a chat line for a Claude or Gemini model to that provider, to be translated', () => {
    expect(value(parseLine(chatBatchLine('q2', 'claude-sonnet-4-5')))).toMatchObject({ provider: 'anthropic', format: 'openai-chat' });
    const gemini = value(parseLine(chatBatchLine('q3', 'gemini-2.5-flash')));
    expect(gemini).toMatchObject({ provider: 'gemini', format: 'openai-chat' });
    expect(gemini).not.toHaveProperty('endpoint');
  });

  it('takes "format": "openai-chat" on a native line, with the line’s provider', () => {
    const line = JSON.stringify({
      custom_id: 'n1',
      provider: 'bedrock',
      model: 'anthropic.claude-haiku-4-5-v1:0',
      format: 'openai-chat',
      body: { messages },
    });
    expect(value(parseLine(line))).toMatchObject({
      provider: 'bedrock',
      model: 'anthropic.claude-haiku-4-5-v1:0',
      format: 'openai-chat',
      body: { messages },
    });
  });

  it('passes /v1/responses and /v1/embeddings lines to OpenAI natively, endpoint set', () => {
    const responses = JSON.stringify({ custom_id: 'r1', method: 'POST', url: '/v1/responses', body: { model: 'gpt-4.1', input: 'Hello' } });
    expect(value(parseLine(responses))).toMatchObject({ provider: 'openai', format: 'native', endpoint: '/v1/responses' });
    const embeddings = JSON.stringify({
      custom_id: 'e1',
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: ['a', 'b'] },
    });
    expect(value(parseLine(embeddings))).toMatchObject({ provider: 'openai', format: 'native', endpoint: '/v1/embeddings' });
  });

  it.each([
    [chatBatchLine('x', 'gpt-4o').replace('"POST"', '"GET"'), /not a valid OpenAI batch line:\n {2}- method: must be "POST"/],
    [
      chatBatchLine('x', 'gpt-4o').replace('/v1/chat/completions', '/v1/completions'),
      /url: must be one of \/v1\/chat\/completions, \/v1\/responses, \/v1\/embeddings/,
    ],
    [
      JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small' } }),
      /invalid openai request body:\n {2}- body\.input/,
    ],
    [
      JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [] } }),
      /invalid OpenAI Chat Completions body:\n {2}- body\.messages: at least one message is required/,
    ],
    [
      JSON.stringify({
        custom_id: 'x',
        format: 'openai-chat',
        body: { model: 'claude-x', messages: [{ role: 'user', content: 'x' }], temperature: 3 },
      }),
      /body\.temperature/,
    ],
    [
      JSON.stringify({ custom_id: 'x', format: 'openai-chat', body: { model: 'claude-x', messages: [{ role: 'tool', content: 'x' }] } }),
      /body\.messages\[0\]\.tool_call_id/,
    ],
    [
      JSON.stringify({
        custom_id: 'x',
        provider: 'anthropic',
        endpoint: '/v1/responses',
        body: { model: 'claude-x', max_tokens: 5, messages },
      }),
      /"endpoint" applies to openai and azure-openai requests only, not to anthropic/,
    ],
  ])('rejects a bad OpenAI line: %s', (line, message) => {
    expect(error(parseLine(line))).toMatch(message);
  });

  it('rejects at ingest a chat body with no translation for its provider, saying why', () => {
    const functions = chatBatchLine('x', 'claude-sonnet-4-5', { messages: [...messages, { role: 'function', name: 'f', content: '1' }] });
    expect(error(parseLine(functions))).toMatch(
      /^cannot translate the body to anthropic: messages\[1\]: function_call and "function" messages/,
    );
    const onlyUrlImage = chatBatchLine('x', 'anthropic.claude-haiku-4-5-v1:0', {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
    });
    expect(error(parseLine(onlyUrlImage))).toBe(
      'cannot translate the body to bedrock: messages[0]: nothing left to send to bedrock once the parts it cannot take were left out',
    );
    // OpenAI itself takes what it takes.
    expect(value(parseLine(functions.replace('claude-sonnet-4-5', 'gpt-4o')))).toMatchObject({ provider: 'openai' });
  });
});

describe('routing', () => {
  const routing: RoutingRule[] = [
    { model: 'claude-haiku-*', provider: 'bedrock' },
    { model: 'claude-*', provider: 'anthropic' },
    { model: 'gpt-4.1*', provider: 'azure-openai' },
    { model: 'house-model', provider: 'gemini' },
  ];

  it('routes by the built-in model families when there are no rules', () => {
    const families: [string, string | undefined][] = [
      ['claude-sonnet-4-5', 'anthropic'],
      ['gpt-4o', 'openai'],
      ['o1', 'openai'],
      ['o3-mini', 'openai'],
      ['o4-mini', 'openai'],
      ['text-embedding-3-small', 'openai'],
      ['gemini-2.5-pro', 'gemini'],
      ['text-embedding-004', 'gemini'],
      ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'bedrock'],
      ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock'],
      ['eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'bedrock'],
      ['llama-3.1-70b', undefined],
    ];
    for (const [model, provider] of families) expect([model, routeModel(model)]).toEqual([model, provider]);
  });

  it('applies the first rule that matches, then the families', () => {
    expect(routeModel('claude-haiku-4-5', routing)).toBe('bedrock');
    expect(routeModel('claude-sonnet-4-5', routing)).toBe('anthropic');
    expect(routeModel('gpt-4.1-mini', routing)).toBe('azure-openai');
    expect(routeModel('gpt-4o', routing)).toBe('openai');
    expect(routeModel('house-model', routing)).toBe('gemini');
    expect(routeModel('house-model-2', routing)).toBeUndefined();
  });

  it('routes lines by their model, unless the line names its provider', () => {
    const options = { routing };
    expect(value(parseLine(chatBatchLine('a', 'claude-haiku-4-5'), options))).toMatchObject({ provider: 'bedrock', format: 'openai-chat' });
    expect(value(parseLine(chatBatchLine('b', 'gpt-4.1'), options))).toMatchObject({
      provider: 'azure-openai',
      endpoint: '/v1/chat/completions',
    });
    expect(value(parseLine(chatBatchLine('c', 'house-model'), options))).toMatchObject({ provider: 'gemini' });
    const named = JSON.stringify({
      custom_id: 'd',
      provider: 'anthropic',
      format: 'openai-chat',
      body: { model: 'claude-haiku-4-5', messages },
    });
    expect(value(parseLine(named, options))).toMatchObject({ provider: 'anthropic' });
  });

  it('routes a body of one dialect only among the providers that speak it', () => {
    // An Anthropic batch line may go to Bedrock; a rule sending its model elsewhere leaves it with Anthropic.
    const anthropicLine = (model: string) => JSON.stringify({ custom_id: 'a', params: { model, max_tokens: 5, messages } });
    expect(value(parseLine(anthropicLine('claude-haiku-4-5'), { routing }))).toMatchObject({ provider: 'bedrock' });
    expect(value(parseLine(anthropicLine('house-model'), { routing }))).toMatchObject({ provider: 'anthropic' });
    // Responses and Embeddings lines run on OpenAI or Azure OpenAI only.
    const responses = (model: string) =>
      JSON.stringify({ custom_id: 'r', method: 'POST', url: '/v1/responses', body: { model, input: 'x' } });
    expect(value(parseLine(responses('gpt-4.1'), { routing }))).toMatchObject({ provider: 'azure-openai', endpoint: '/v1/responses' });
    expect(value(parseLine(responses('house-model'), { routing }))).toMatchObject({ provider: 'openai', endpoint: '/v1/responses' });
  });
});

describe('parseLine: endpoints and line formats from the provider modules', () => {
  const line = (extra: Record<string, unknown>, body: Record<string, unknown>) => JSON.stringify({ custom_id: 'x', ...extra, body });

  it('refuses an endpoint no provider takes, listing the ones relayq knows', () => {
    const result = error(parseLine(line({ provider: 'openai', endpoint: '/v1/completions' }, { model: 'gpt-4o', prompt: 'hi' })));
    expect(result).toBe(
      '"endpoint": "/v1/completions" is not an API path relayq sends to; it knows /v1/chat/completions (openai, azure-openai), ' +
        '/v1/responses (openai, azure-openai), /v1/embeddings (openai, azure-openai), :embedContent (gemini)',
    );
  });

  it('refuses an endpoint of another provider, naming whose it is', () => {
    const embed = { model: 'text-embedding-3-small', content: { parts: [{ text: 'x' }] } };
    expect(error(parseLine(line({ provider: 'openai', endpoint: ':embedContent' }, embed)))).toBe(
      '"endpoint" applies to gemini requests only, not to openai (the line names :embedContent)',
    );
  });

  it('checks a body against the schema of the endpoint the line names', () => {
    const responses = JSON.stringify({ custom_id: 'r', method: 'POST', url: '/v1/responses', body: { model: 'gpt-4.1', input: '' } });
    expect(error(parseLine(responses))).toMatch(/^invalid openai request body:\n {2}- body\.input: must not be empty/);
    const chatAtResponses = line({ provider: 'openai', endpoint: '/v1/chat/completions' }, { model: 'gpt-4o', input: 'hi' });
    expect(error(parseLine(chatAtResponses))).toMatch(/^invalid openai request body:\n {2}- body\.messages/);
    // Gemini: an EmbedContentRequest goes to :embedContent whether or not the line says so.
    const embed = { model: 'gemini-embedding-001', content: { parts: [{ text: 'x' }] } };
    expect(value(parseLine(line({}, embed)))).toMatchObject({ provider: 'gemini', endpoint: ':embedContent' });
    expect(
      error(parseLine(line({ endpoint: ':embedContent' }, { model: 'gemini-2.5-flash', contents: [{ parts: [{ text: 'x' }] }] }))),
    ).toMatch(/^invalid gemini request body:\n {2}- body\.content/);
  });

  it('reads Gemini batch lines with the same detector, the model from the line or --model', () => {
    const geminiLine = (request: Record<string, unknown>) => JSON.stringify({ key: 'g', request });
    const contents = [{ parts: [{ text: 'hi' }] }];
    expect(value(parseLine(geminiLine({ model: 'models/gemini-2.5-flash', contents })))).toMatchObject({
      customId: 'g',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      body: { contents },
    });
    expect(value(parseLine(geminiLine({ contents }), { defaults: { model: 'gemini-2.5-pro' } }))).toMatchObject({
      model: 'gemini-2.5-pro',
    });
    expect(error(parseLine(geminiLine({ contents }), { defaults: { model: 'gemini-2.5-pro', provider: 'anthropic' } }))).toBe(
      'Gemini batch lines run on gemini accounts, not on anthropic',
    );
    expect(error(parseLine('{"custom_id": "x", "prompt": "hi"}'))).toMatch(/or \{"key", "request"\}$/);
  });

  it('reads a line no format claims in the format of its file', () => {
    const fileFormat = detectLineFormat({ key: 'k', request: {} });
    expect(error(parseLine('{"key": "k"}', { fileFormat }))).toMatch(/^not a valid Gemini batch line:\n {2}- request/);
  });
});
