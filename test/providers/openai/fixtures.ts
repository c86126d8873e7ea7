import { readFileSync } from 'node:fs';
import type { JsonObject, StreamPart } from '../../../src/executors/types.ts';
import { readSseEvents, type SseEvent } from '../../../src/http/sse.ts';

const dirs = {
  openai: new URL('../../../src/providers/openai/fixtures/', import.meta.url),
  'azure-openai': new URL('../../../src/providers/azure-openai/fixtures/', import.meta.url),
};
type Provider = keyof typeof dirs;

export function jsonFixture(name: string, provider: Provider = 'openai'): JsonObject {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dirs[provider]), 'utf8')) as JsonObject;
}

export function sseFixture(name: string, provider: Provider = 'openai'): string {
  return readFileSync(new URL(`${name}.sse`, dirs[provider]), 'utf8');
}

export function errorFixture(name: string, provider: Provider = 'openai'): JsonObject {
  const all = jsonFixture('errors', provider) as Record<string, JsonObject>;
  const body = all[name];
  if (body === undefined) throw new Error(`no ${provider} error fixture "${name}"`);
  return body;
}

/** The SSE events of a transcript, read through relayq's SSE reader in uneven chunks. */
export async function sseEvents(transcript: string): Promise<SseEvent[]> {
  const chunks = transcript.match(/[\s\S]{1,41}/g) ?? [];
  async function* body() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body())) events.push(event);
  return events;
}

export function textOf(parts: StreamPart[]): string {
  return parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
}
