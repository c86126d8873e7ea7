import { describe, expect, it } from 'vitest';
import { toAnthropicResultLine } from '../../src/batches/export/anthropic.ts';
import { formatResult } from '../../src/batches/export/export-results.ts';
import { toGeminiResultLine } from '../../src/batches/export/gemini.ts';
import { openAiRequestLineId, toOpenAIBatchLine } from '../../src/batches/export/openai.ts';
import { skippedResult, type ResultRecord } from '../../src/batches/results.ts';

const base: ResultRecord = {
  custom_id: 'r1',
  status: 'succeeded',
  provider: 'openai',
  account: 'a',
  model: 'gpt-4o-mini',
  response: { status_code: 200, body: { id: 'chatcmpl-1', object: 'chat.completion' }, request_id: 'req_abc' },
  usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 },
  attempts: 1,
  latency_ms: 1,
  line: 1,
};
const httpError: ResultRecord = {
  ...base,
  status: 'errored',
  response: undefined,
  error: { kind: 'invalid_request', message: 'bad max_tokens', status_code: 400 },
};
const timeout: ResultRecord = {
  ...base,
  status: 'errored',
  response: undefined,
  error: { kind: 'timeout', message: 'no answer in 120 s', status_code: null },
};

describe('result export formats', () => {
  it('OpenAI: succeeded to the output file, HTTP errors keep their status in the error file, others get an error code', () => {
    expect(toOpenAIBatchLine(base, 'batch_x')).toEqual({
      isError: false,
      line: {
        id: openAiRequestLineId('batch_x', 'r1'),
        custom_id: 'r1',
        response: { status_code: 200, request_id: 'req_abc', body: base.response?.body },
        error: null,
      },
    });
    expect(openAiRequestLineId('batch_x', 'r1')).toMatch(/^batch_req_[0-9a-f]{24}$/);
    expect(openAiRequestLineId('batch_x', 'r1')).not.toBe(openAiRequestLineId('batch_y', 'r1'));
    const error = toOpenAIBatchLine(httpError, 'batch_x');
    expect(error.isError).toBe(true);
    expect(error.line.error).toBeNull();
    expect(error.line.response).toMatchObject({
      status_code: 400,
      body: { error: { message: 'bad max_tokens', type: 'invalid_request_error', param: null, code: 'invalid_request' } },
    });
    expect(toOpenAIBatchLine(timeout, 'batch_x').line).toMatchObject({ response: null, error: { code: 'request_timeout' } });
    expect(toOpenAIBatchLine(skippedResult('r2', 'cancelled', 2), 'b').line).toMatchObject({
      response: null,
      error: { code: 'batch_cancelled' },
    });
    expect(toOpenAIBatchLine(skippedResult('r3', 'expired', 3), 'b').line).toMatchObject({
      response: null,
      error: { code: 'batch_expired' },
    });
  });

  it('Anthropic: succeeded, errored (as an error response), canceled, expired', () => {
    expect(toAnthropicResultLine(base)).toEqual({ custom_id: 'r1', result: { type: 'succeeded', message: base.response?.body } });
    expect(toAnthropicResultLine(httpError)).toEqual({
      custom_id: 'r1',
      result: {
        type: 'errored',
        error: { type: 'error', error: { type: 'invalid_request_error', message: 'bad max_tokens' }, request_id: null },
      },
    });
    expect(toAnthropicResultLine({ ...httpError, error: { kind: 'overloaded', message: 'busy', status_code: 529 } }).result).toMatchObject({
      error: { error: { type: 'overloaded_error' } },
    });
    expect(toAnthropicResultLine(skippedResult('r2', 'cancelled', 2))).toEqual({ custom_id: 'r2', result: { type: 'canceled' } });
    expect(toAnthropicResultLine(skippedResult('r3', 'expired', 3))).toEqual({ custom_id: 'r3', result: { type: 'expired' } });
  });

  it('Gemini: response or a google.rpc.Status error', () => {
    expect(toGeminiResultLine(base)).toEqual({ key: 'r1', response: base.response?.body });
    expect(toGeminiResultLine(httpError)).toEqual({ key: 'r1', error: { code: 3, message: 'bad max_tokens' } });
    expect(toGeminiResultLine(skippedResult('r2', 'cancelled', 2))).toMatchObject({ error: { code: 1 } });
  });

  it('native lines are the result records themselves', () => {
    expect(JSON.parse(formatResult(base, 'native', 'b').text)).toEqual(base);
  });
});
