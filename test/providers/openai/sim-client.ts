/** A tiny OpenAI/Azure client for the simulator wire tests: real HTTP through global fetch. */
import type { RunningSimulator } from '../../../src/simulator/server.ts';

export interface WireResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined for SSE or non-JSON). */
  json: Record<string, unknown> | undefined;
}

export async function post(
  sim: RunningSimulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: 'Bearer sk-test' },
  method = 'POST',
): Promise<WireResponse> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json')
    ? (JSON.parse(text) as Record<string, unknown>)
    : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

/** Reads a streamed body as far as it gets; `error` is set when the connection broke. */
export async function postStream(
  sim: RunningSimulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: 'Bearer sk-test' },
): Promise<{ status: number; headers: Headers; text: string; error: Error | undefined }> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const decoder = new TextDecoder();
  let text = '';
  let error: Error | undefined;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (caught) {
    error = caught as Error;
  }
  return { status: response.status, headers: response.headers, text, error };
}

export interface WireEvent {
  /** The `event:` name, undefined for chat's unnamed frames. */
  event: string | undefined;
  /** The `data:` text. */
  data: string;
}

/** Splits complete SSE blocks (a trailing partial block is left out). */
export function frames(text: string): WireEvent[] {
  const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
  return complete
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (lines.some((line) => !line.startsWith('event: ') && !line.startsWith('data: '))) {
        throw new Error(`unexpected SSE line in ${JSON.stringify(block)}`);
      }
      return { event, data };
    });
}

export function chatBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], ...extra };
}

export function responsesBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4.1-mini', input: prompt, ...extra };
}
