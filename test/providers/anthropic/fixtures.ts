import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../../src/executors/types.ts';

const dir = new URL('../../../src/providers/anthropic/fixtures/', import.meta.url);

export function messageFixture(name: 'text' | 'tool-use' | 'thinking'): JsonObject {
  return JSON.parse(readFileSync(new URL(`message-${name}.json`, dir), 'utf8')) as JsonObject;
}

export function sseFixture(name: 'text' | 'tool-use' | 'thinking' | 'error'): string {
  return readFileSync(new URL(`stream-${name}.sse`, dir), 'utf8');
}

export function errorFixture(name: string): JsonObject {
  const all = JSON.parse(readFileSync(new URL('errors.json', dir), 'utf8')) as Record<string, JsonObject>;
  const body = all[name];
  if (body === undefined) throw new Error(`no error fixture "${name}"`);
  return body;
}
