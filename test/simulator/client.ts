/** A tiny Anthropic client for the simulator tests: real HTTP through global fetch. */
import type { RunningSimulator } from '../../src/simulator/server.ts';

export const ANTHROPIC_VERSION = '2023-06-01';

export interface SimResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined for SSE or non-JSON). */
  json: Record<string, unknown> | undefined;
}

export function messagesBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: prompt }], ...extra };
}

export async function postMessages(
  sim: RunningSimulator,
  body: unknown,
  options: { key?: string | null; headers?: Record<string, string>; path?: string; method?: string } = {},
): Promise<SimResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...options.headers,
  };
  const key = options.key === undefined ? 'sk-ant-test' : options.key;
  if (key !== null) headers['x-api-key'] = key;
  const response = await fetch(`${sim.url}${options.path ?? '/v1/messages'}`, {
    method: options.method ?? 'POST',
    headers,
    body: typeof body === 'string' ? body : options.method === 'GET' ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Splits an SSE body into events; every event must have `event:` and JSON `data:`. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
      if (event === undefined || data === undefined) throw new Error(`malformed SSE block: ${block}`);
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/** The text and usage a client assembles from a streamed Message. */
export function assembleStream(events: SseEvent[]): {
  text: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: unknown;
  stopSequence: unknown;
} {
  let text = '';
  let inputTokens = 0;
  let outputTokens = 0;
  let stopReason: unknown;
  let stopSequence: unknown;
  for (const { event, data } of events) {
    if (event === 'message_start') {
      const usage = (data.message as { usage: { input_tokens: number; output_tokens: number } }).usage;
      inputTokens = usage.input_tokens;
      outputTokens = usage.output_tokens;
    } else if (event === 'content_block_delta') {
      text += (data.delta as { text: string }).text;
    } else if (event === 'message_delta') {
      const delta = data.delta as { stop_reason: unknown; stop_sequence: unknown };
      stopReason = delta.stop_reason;
      stopSequence = delta.stop_sequence;
      outputTokens = (data.usage as { output_tokens: number }).output_tokens;
    }
  }
  return { text, inputTokens, outputTokens, stopReason, stopSequence };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
