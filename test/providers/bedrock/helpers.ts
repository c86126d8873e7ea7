/** Shared pieces of the Bedrock tests: fixtures, accounts, and running either executor method. */
import { readFileSync } from 'node:fs';
import { accountSchema, type Account } from '../../../src/config/schema.ts';
import { isProviderError, type ProviderError } from '../../../src/executors/errors.ts';
import type { ExecuteResult, Executor, ExecuteRequest, JsonObject, StreamPart } from '../../../src/executors/types.ts';
import { eventStreamCodec } from '../../../src/providers/bedrock/event-stream.ts';
import { fromUtf8 } from '@smithy/util-utf8';

const fixtureDir = new URL('../../../src/providers/bedrock/fixtures/', import.meta.url);

export function readFixture<T = JsonObject>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')) as T;
}

export interface ErrorFixture {
  status: number;
  headers: Record<string, string>;
  body: JsonObject;
}

export function errorFixture(name: string): ErrorFixture {
  const all = readFixture<Record<string, ErrorFixture>>('errors.json');
  const fixture = all[name];
  if (fixture === undefined) throw new Error(`no error fixture "${name}"`);
  return fixture;
}

export interface StreamFixture {
  headers: Record<string, string>;
  events: JsonObject[];
}

/** A `chunk` frame carrying one Anthropic event, as Bedrock encodes it. */
export function chunkFrame(event: unknown): Uint8Array {
  return eventStreamCodec.encode({
    headers: {
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: 'abcd' })),
  });
}

export function exceptionFrame(exceptionType: string, payload: unknown): Uint8Array {
  return eventStreamCodec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength))));
}

export function bedrockAccount(overrides: Record<string, unknown> = {}): Account {
  return accountSchema.parse({
    id: 'bedrock-test',
    provider: 'bedrock',
    region: 'us-east-1',
    accessKeyId: 'AKIDRELAYQTEST',
    secretAccessKey: 'relayq-test-secret',
    timeouts: { connectMs: 5000, firstByteMs: 5000, idleMs: 5000 },
    ...overrides,
  });
}

export type Mode = 'execute' | 'executeStream';

export interface Outcome {
  result?: ExecuteResult;
  error?: ProviderError;
  /** Stream parts (executeStream only). */
  parts: StreamPart[];
}

/** Runs one method; a ProviderError becomes `error`, anything else is rethrown. */
export async function run(executor: Executor, mode: Mode, request: ExecuteRequest, account: Account): Promise<Outcome> {
  if (mode === 'execute') {
    try {
      return { result: await executor.execute(request, {}, account), parts: [] };
    } catch (error) {
      if (isProviderError(error)) return { error, parts: [] };
      throw error;
    }
  }
  const parts: StreamPart[] = [];
  for await (const part of executor.executeStream(request, {}, account)) parts.push(part);
  const last = parts.at(-1);
  if (last?.type === 'done') return { result: last.result, parts };
  if (last?.type === 'error') return { error: last.error, parts };
  throw new Error(`the stream ended with ${last?.type ?? 'nothing'}, not done or error`);
}
