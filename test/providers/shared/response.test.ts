import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../../src/executors/errors.ts';
import {
  bodyReadError,
  isSuccess,
  parseJsonBody,
  readErrorBodyText,
  streamEndedEarlyError,
  validateBody,
} from '../../../src/providers/shared/response.ts';

const answer = { provider: 'anthropic', statusCode: 200, accountId: 'acct-1' };
const errorContext = { provider: 'anthropic', url: 'https://api.example.test/v1/messages', accountId: 'acct-1' };

function caught(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

function socketReset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

describe('isSuccess', () => {
  it.each([
    [199, false],
    [200, true],
    [204, true],
    [299, true],
    [300, false],
    [429, false],
  ])('%i → %s', (status, success) => {
    expect(isSuccess(status)).toBe(success);
  });
});

describe('parseJsonBody', () => {
  it('parses a JSON body', () => {
    expect(parseJsonBody('{"id":"msg_1"}', answer)).toEqual({ id: 'msg_1' });
  });

  it('reports a body that is not JSON as an unexpected response, its text cut to 4096 characters', () => {
    const text = `<html>${'x'.repeat(5000)}`;
    const error = caught(() => parseJsonBody(text, answer));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.provider).toBe('anthropic');
    expect(error.statusCode).toBe(200);
    expect(error.message).toBe('anthropic account "acct-1": unexpected response: the body is not JSON');
    expect(error.rawBody).toBe(text.slice(0, 4096));
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('validateBody', () => {
  const schema = z.object({ id: z.string() });

  it('returns the body as the schema reads it', () => {
    expect(validateBody({ id: 'msg_1' }, schema, 'a message', answer)).toEqual({ id: 'msg_1' });
  });

  it('reports any other shape as an unexpected response, keeping the JSON', () => {
    const json = { id: 7 };
    const error = caught(() => validateBody(json, schema, 'a message', answer));
    expect(error.kind).toBe('server');
    expect(error.statusCode).toBe(200);
    expect(error.message).toBe('anthropic account "acct-1": unexpected response: the body is not a message');
    expect(error.rawBody).toBe(json);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });
});

describe('readErrorBodyText', () => {
  it('returns the body text', async () => {
    await expect(readErrorBodyText({ body: { text: () => Promise.resolve('busy') } })).resolves.toBe('busy');
  });

  it("returns '' when the body cannot be read", async () => {
    await expect(readErrorBodyText({ body: { text: () => Promise.reject(socketReset()) } })).resolves.toBe('');
  });
});

describe('bodyReadError', () => {
  it('turns a read failure into a ProviderError that carries the status', () => {
    const error = bodyReadError(socketReset(), errorContext, 200);
    expect(error.kind).toBe('network');
    expect(error.statusCode).toBe(200);
    expect(error.message).toMatch(/^anthropic account "acct-1": /);
  });
});

describe('streamEndedEarlyError', () => {
  it('is a network error naming the host and the event the stream lacked', () => {
    const error = streamEndedEarlyError('anthropic', 'acct-1', errorContext.url, 200, 'message_stop');
    expect(error.kind).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(200);
    expect(error.message).toBe('anthropic account "acct-1": the event stream from api.example.test ended before message_stop');
  });
});
