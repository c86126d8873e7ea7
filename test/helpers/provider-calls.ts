/**
 * Small helpers the executor tests share: answering a request from a local server as JSON or as
 * an event stream, and reading what an executor call ended with.
 */
import type { ServerResponse } from 'node:http';
import { isProviderError, type ProviderError } from '../../src/executors/errors.ts';
import type { StreamPart } from '../../src/executors/types.ts';

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers 200 with a whole event-stream transcript. */
export function sse(res: ServerResponse, transcript: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', ...headers });
  res.end(transcript);
}

/** The ProviderError a call rejected with; fails the test when it resolved or threw something else. */
export async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

/** Every part of a stream, in order. */
export async function partsOf(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** The error a stream ended with; fails the test when its last part is not an error. */
export function lastError(parts: StreamPart[]): ProviderError {
  const last = parts.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error part last, got ${last?.type}`);
  return last.error;
}
