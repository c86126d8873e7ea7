/**
 * Where and how to call the Gemini API for one account: the generateContent URLs, auth headers,
 * and which response headers to keep. The same paths hang off the Google AI Studio base
 * (`https://generativelanguage.googleapis.com/v1beta`), a Vertex AI publisher base
 * (`https://{location}-aiplatform.googleapis.com/v1/projects/{p}/locations/{l}/publishers/google`)
 * or a gateway that mirrors either, so the account's baseUrl is all that differs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GeminiAccount } from './account.ts';
import { jsonRequestHeaders, pickHeaders } from '../shared/headers.ts';

export const geminiDefaultBaseUrl = 'https://generativelanguage.googleapis.com/v1beta';

export type GeminiApiAccount = Pick<GeminiAccount, 'apiKey' | 'authToken'>;

/**
 * `{base}/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse` for a stream
 * (without `alt=sse` Gemini streams one JSON array instead of server-sent events). A trailing
 * slash on baseUrl and a leading `models/` on the model name are ignored.
 */
export function geminiUrl(account: Pick<GeminiAccount, 'baseUrl'>, model: string, stream: boolean): string {
  const base = (account.baseUrl ?? geminiDefaultBaseUrl).replace(/\/+$/, '');
  const name = encodeURIComponent(model.replace(/^models\//, ''));
  return stream ? `${base}/models/${name}:streamGenerateContent?alt=sse` : `${base}/models/${name}:generateContent`;
}

/** The Gemini method a request calls: generateContent, or embedContent for an EmbedContentRequest. */
export type GeminiMethod = 'generateContent' | 'embedContent';

/**
 * The method of a request: `request.endpoint` when set (`:embedContent`, `embedContent`,
 * `:generateContent`), else from the body (`content` and no `contents` → embedContent).
 */
export function resolveGeminiMethod(request: { endpoint?: string; body: Record<string, unknown> }): GeminiMethod {
  const endpoint = request.endpoint?.trim().replace(/^:/, '');
  if (endpoint === 'embedContent') return 'embedContent';
  if (endpoint === 'generateContent' || endpoint === 'streamGenerateContent') return 'generateContent';
  return 'content' in request.body && !('contents' in request.body) ? 'embedContent' : 'generateContent';
}

/** `{base}/models/{model}:embedContent` (embeddings are never streamed). */
export function geminiEmbedUrl(account: Pick<GeminiAccount, 'baseUrl'>, model: string): string {
  const base = (account.baseUrl ?? geminiDefaultBaseUrl).replace(/\/+$/, '');
  return `${base}/models/${encodeURIComponent(model.replace(/^models\//, ''))}:embedContent`;
}

/**
 * Request headers for an account: `x-goog-api-key` for an API key (Google AI Studio), else
 * `authorization: Bearer` for an OAuth access token (Vertex AI, Code Assist). An account with
 * neither sends no auth header (a gateway may add it); Google itself answers 403.
 */
export function geminiRequestHeaders(account: GeminiApiAccount, options: { stream?: boolean } = {}): Record<string, string> {
  const headers = jsonRequestHeaders(options.stream);
  if (account.apiKey !== undefined) headers['x-goog-api-key'] = account.apiKey;
  else if (account.authToken !== undefined) headers.authorization = `Bearer ${account.authToken}`;
  return headers;
}

/**
 * Response headers worth keeping. Gemini sends no rate-limit headers of its own; gateways in
 * front of it may send `retry-after`, a request id or `x-ratelimit-*`.
 */
export function pickGeminiHeaders(headers: IncomingHttpHeaders | Record<string, string>): Record<string, string> {
  return pickHeaders(
    headers,
    (name) => name === 'retry-after' || name === 'x-request-id' || name === 'x-goog-request-id' || name.startsWith('x-ratelimit-'),
  );
}
