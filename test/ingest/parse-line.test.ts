import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/ingest/parse-line.ts';

const messages = [{ role: 'user', content: 'Hi' }];

describe('parseLine', () => {
  it('accepts Anthropic batch lines', () => {
    const result = parseLine(JSON.stringify({ custom_id: 'a', params: { model: 'claude-x', max_tokens: 10, messages } }));
    expect(result).toEqual({
      ok: true,
      value: { customId: 'a', provider: 'anthropic', model: 'claude-x', stream: false, format: 'native', body: { model: 'claude-x', max_tokens: 10, messages } },
    });
  });

  it('accepts native lines, taking the model from the line and the stream flag from either place', () => {
    const result = parseLine(
      JSON.stringify({ custom_id: 'b', provider: 'anthropic', model: 'my-model', stream: true, body: { max_tokens: 5, messages } }),
    );
    expect(result.ok && result.value).toMatchObject({ provider: 'anthropic', model: 'my-model', stream: true, body: { model: 'my-model' } });
    const inBody = parseLine(JSON.stringify({ custom_id: 'c', body: { model: 'claude-y', max_tokens: 5, messages, stream: true } }));
    expect(inBody.ok && inBody.value).toMatchObject({ provider: 'anthropic', stream: true });
    expect(inBody.ok && 'stream' in inBody.value.body).toBe(false);
  });

  it.each([
    ['{"custom_id": "x", ', /^invalid JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"params": {}}', /missing custom_id/],
    ['{"custom_id": "", "params": {}}', /custom_id: must not be empty/],
    ['{"custom_id": "x", "prompt": "hi"}', /unknown line format/],
    ['{"custom_id": "x", "body": {"max_tokens": 5, "messages": []}}', /no model/],
    ['{"custom_id": "x", "body": {"model": "llama-3", "max_tokens": 5, "messages": []}}', /cannot tell which provider/],
    ['{"custom_id": "x", "params": {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]}}', /body\.max_tokens/],
    ['{"custom_id": "x", "params": {"model": "claude-x", "max_tokens": 5, "messages": []}}', /body\.messages/],
    ['{"custom_id": "x", "params": {"model": "claude-x", "max_tokens": 5, "messages": [{"role": "bot", "content": "x"}]}}', /body\.messages\[0\]\.role/],
  ])('rejects %s with a clear message', (line, message) => {
    const result = parseLine(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('keeps the custom_id of a rejected line for the report', () => {
    const result = parseLine('{"custom_id": "keep-me", "params": {"model": "claude-x"}}');
    expect(result).toMatchObject({ ok: false, customId: 'keep-me' });
  });
});
