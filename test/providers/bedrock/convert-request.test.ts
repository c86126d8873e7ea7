/** The Anthropic Messages body → Bedrock's InvokeModel body, and the input-line schema. */
import { describe, expect, it } from 'vitest';
import { bedrockRequestBody } from '../../../src/providers/bedrock/convert-request.ts';
import { bedrockRequestBodySchema } from '../../../src/providers/bedrock/request-schema.ts';

const messagesBody = {
  model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  stream: true,
  max_tokens: 512,
  system: 'Be brief.',
  temperature: 0.2,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello', cache_control: { type: 'ephemeral' } }] }],
  tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }],
};

describe('bedrockRequestBody', () => {
  it('drops model and stream, adds anthropic_version, keeps everything else', () => {
    expect(bedrockRequestBody(messagesBody, {})).toEqual({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 512,
      system: 'Be brief.',
      temperature: 0.2,
      messages: messagesBody.messages,
      tools: messagesBody.tools,
    });
  });

  it("puts the account's beta flags and the body's own in anthropic_beta, once each", () => {
    const body = bedrockRequestBody({ ...messagesBody, anthropic_beta: ['b', 'c'] }, { anthropicBeta: ['a', 'b'] });
    expect(body.anthropic_beta).toEqual(['a', 'b', 'c']);
    expect(bedrockRequestBody(messagesBody, { anthropicBeta: ['token-efficient-tools-2025-02-19'] }).anthropic_beta).toEqual([
      'token-efficient-tools-2025-02-19',
    ]);
    expect(bedrockRequestBody({ ...messagesBody, anthropic_beta: [] }, {})).not.toHaveProperty('anthropic_beta');
  });

  it('keeps an anthropic_version the body already has, and does not change its input', () => {
    const input = { ...messagesBody, anthropic_version: 'bedrock-2023-05-31' };
    const copy = structuredClone(input);
    bedrockRequestBody(input, { anthropicBeta: ['a'] });
    expect(input).toEqual(copy);
  });
});

describe('bedrockRequestBodySchema', () => {
  it('accepts a Messages body with or without model', () => {
    expect(bedrockRequestBodySchema.safeParse(messagesBody).success).toBe(true);
    const { model: _model, ...withoutModel } = messagesBody;
    expect(bedrockRequestBodySchema.safeParse(withoutModel).success).toBe(true);
    expect(bedrockRequestBodySchema.safeParse({ ...withoutModel, anthropic_version: 'bedrock-2023-05-31' }).success).toBe(true);
  });

  it.each([
    ['no max_tokens', { messages: [{ role: 'user', content: 'x' }] }],
    ['no messages', { max_tokens: 10, messages: [] }],
    ['a system role in messages', { max_tokens: 10, messages: [{ role: 'system', content: 'x' }] }],
    ['anthropic_beta not a list', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }], anthropic_beta: 'a' }],
  ])('refuses %s', (_name, body) => {
    expect(bedrockRequestBodySchema.safeParse(body).success).toBe(false);
  });
});
