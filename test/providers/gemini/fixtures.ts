import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../../src/executors/types.ts';

const dir = new URL('../../../src/providers/gemini/fixtures/', import.meta.url);

export type ResponseFixture = 'text' | 'function-call' | 'thinking' | 'prompt-blocked' | 'safety-stop';
export type StreamFixture = 'text' | 'function-call' | 'prompt-blocked' | 'error';

export function responseFixture(name: ResponseFixture): JsonObject {
  return JSON.parse(readFileSync(new URL(`response-${name}.json`, dir), 'utf8')) as JsonObject;
}

export function sseFixture(name: StreamFixture): string {
  return readFileSync(new URL(`stream-${name}.sse`, dir), 'utf8');
}

export function errorFixture(name: string): JsonObject {
  const all = JSON.parse(readFileSync(new URL('errors.json', dir), 'utf8')) as Record<string, JsonObject>;
  const body = all[name];
  if (body === undefined) throw new Error(`no error fixture "${name}"`);
  return body;
}
