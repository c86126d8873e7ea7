/**
 * The executor-against-simulator table shared by the OpenAI and Azure OpenAI tests: each case is
 * one prompt (or body change) and the outcome it must map to, run through `execute` and
 * `executeStream` on Chat Completions and on Responses.
 */
import { expect } from 'vitest';
import type { Account } from '../../../src/config/schema.ts';
import { collectStream } from '../../../src/executors/collect-stream.ts';
import { isProviderError, type ErrorKind, type ProviderError } from '../../../src/executors/errors.ts';
import type { ExecuteRequest, ExecuteResult, Executor, JsonObject } from '../../../src/executors/types.ts';
import { countTokens, simulatedAnswer } from '../../../src/simulator/answer.ts';
import type { SimulatorConfigInput } from '../../../src/simulator/server.ts';

export interface Mode {
  endpoint: 'chat' | 'responses';
  stream: boolean;
}

export const modes: readonly Mode[] = [
  { endpoint: 'chat', stream: false },
  { endpoint: 'chat', stream: true },
  { endpoint: 'responses', stream: false },
  { endpoint: 'responses', stream: true },
];

export const modeName = (mode: Mode): string => `${mode.endpoint} ${mode.stream ? 'executeStream' : 'execute'}`;

/** A key per mode that allows one request a minute, for the bucket 429s. */
export const limitedKey = (mode: Mode): string => `limited-${mode.endpoint}-${mode.stream}`;
export const goodKey = 'sk-sim-good';

export const simulatorConfig: SimulatorConfigInput = {
  acceptAnyKey: false,
  keys: [{ key: goodKey }, ...modes.map((mode) => ({ key: limitedKey(mode), limits: { rpm: 1 } }))],
  burstSeconds: 60,
  models: ['gpt-*', 'my-*'],
};

export function requestFor(
  provider: 'openai' | 'azure-openai',
  mode: Mode,
  prompt: string,
  extra: JsonObject = {},
  model = 'gpt-4o-mini',
): ExecuteRequest {
  const body: JsonObject =
    mode.endpoint === 'chat'
      ? {
          model,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: prompt },
          ],
          ...extra,
        }
      : { model, instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_text', text: prompt }] }], ...extra };
  return { provider, model, body };
}

export async function run(
  executor: Executor,
  request: ExecuteRequest,
  account: Account,
  stream: boolean,
): Promise<ExecuteResult | ProviderError> {
  try {
    return stream
      ? await collectStream(executor.executeStream(request, {}, account), executor.provider)
      : await executor.execute(request, {}, account);
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
}

export function expectError(outcome: ExecuteResult | ProviderError, kind: ErrorKind, retryable: boolean): ProviderError {
  if (!isProviderError(outcome)) throw new Error(`expected a ${kind} error, got the answer "${outcome.text}"`);
  expect({ kind: outcome.kind, retryable: outcome.retryable }).toEqual({ kind, retryable });
  return outcome;
}

export function expectAnswer(outcome: ExecuteResult | ProviderError, prompt: string): ExecuteResult {
  if (isProviderError(outcome)) throw new Error(`expected an answer, got ${outcome.kind}: ${outcome.message}`);
  const answer = simulatedAnswer(prompt);
  expect(outcome.text).toBe(answer);
  expect(outcome.statusCode).toBe(200);
  expect(outcome.finishReason.unified).toBe('stop');
  expect(outcome.toolCalls).toEqual([]);
  expect(outcome.usage.outputTokens).toBe(countTokens(answer));
  expect(outcome.usage.inputTokens).toBeGreaterThan(0);
  expect(outcome.usage.raw).not.toBeNull();
  return outcome;
}

/** The body with the per-request ids and timestamps blanked, for comparing two answers. */
export function withoutIds(body: JsonObject): unknown {
  return JSON.parse(
    JSON.stringify(body, (key, value: unknown) => (['id', 'created', 'created_at'].includes(key) ? null : value)),
  ) as unknown;
}

/** The error cases: a prompt (or body changes) and the kind and retryable flag it must give. */
export interface ErrorCase {
  name: string;
  prompt: string;
  extra?: (mode: Mode) => JsonObject;
  model?: string;
  key?: string;
  /** Per mode, as execute and executeStream can end differently (a cut stream vs a dropped request). */
  expected: (mode: Mode) => [ErrorKind, boolean];
  statusCode?: (mode: Mode) => number | undefined;
}

export const errorCases: readonly ErrorCase[] = [
  { name: '503 overloaded', prompt: 'hi [[sim:fault=overloaded]]', expected: () => ['overloaded', true], statusCode: () => 503 },
  { name: '500 server error', prompt: 'hi [[sim:fault=server]]', expected: () => ['server', true], statusCode: () => 500 },
  { name: '401 unknown key', prompt: 'hi', key: 'sk-unknown', expected: () => ['auth', false], statusCode: () => 401 },
  { name: '403 permission', prompt: 'hi [[sim:fault=permission]]', expected: () => ['permission', false], statusCode: () => 403 },
  { name: '404 unknown model', prompt: 'hi', model: 'davinci-999', expected: () => ['not_found', false], statusCode: () => 404 },
  {
    name: '400 invalid body',
    prompt: 'hi',
    extra: (mode) => (mode.endpoint === 'chat' ? { max_completion_tokens: 0 } : { max_output_tokens: 4 }),
    expected: () => ['invalid_request', false],
    statusCode: () => 400,
  },
  { name: '400 invalid (fault)', prompt: 'hi [[sim:fault=invalid]]', expected: () => ['invalid_request', false], statusCode: () => 400 },
  { name: '400 context length', prompt: 'hi [[sim:fault=too_large]]', expected: () => ['context_length', false], statusCode: () => 400 },
  {
    name: 'stream cut mid-way',
    prompt: 'tell me a long story [[sim:fault=cut-stream]] [[sim:words=40]]',
    expected: () => ['network', true],
    statusCode: (mode) => (mode.stream ? 200 : undefined),
  },
  {
    name: 'error inside the stream',
    prompt: 'tell me a story [[sim:fault=stream-error]] [[sim:words=40]]',
    // Not streamed, the simulator answers 503 instead.
    expected: (mode) => (mode.stream ? ['server', true] : ['overloaded', true]),
    statusCode: (mode) => (mode.stream ? 200 : 503),
  },
];
