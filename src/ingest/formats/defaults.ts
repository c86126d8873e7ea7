/**
 * Batch-level defaults from the command line (`--provider`, `--model`, `--max-tokens`,
 * `--system`), filled into each line that lacks them, in the line's own body format:
 * Anthropic Messages `max_tokens` / `system`; OpenAI Chat `max_completion_tokens` / a system
 * message; OpenAI Responses `max_output_tokens` / `instructions`; Gemini
 * `generationConfig.maxOutputTokens` / `systemInstruction`. A value the line sets always wins.
 */
import type { BatchDefaults } from '../../batches/batch-store.ts';
import { routeModel, type RoutingRule } from '../../accounts/routing.ts';
import type { InputFormat } from './detect.ts';
import { isGeminiEmbedBody } from '../../providers/gemini/request-schema.ts';

type Json = Record<string, unknown>;

export function hasDefaults(defaults: BatchDefaults | undefined): boolean {
  return defaults !== undefined && Object.values(defaults).some((value) => value !== undefined);
}

/**
 * The line with the defaults filled in (a shallow copy where changed; the input is not modified).
 * Gemini lines are handled by their reader (the model) and here (the body).
 */
export function applyDefaults(line: Json, format: InputFormat, defaults: BatchDefaults, routing: readonly RoutingRule[] = []): Json {
  if (format === 'anthropic-batch') {
    const params = isObject(line.params) ? line.params : undefined;
    if (!params) return line;
    const body = fillMessagesBody({ ...params, model: params.model ?? defaults.model }, defaults);
    // A provider default sends Anthropic-format lines elsewhere (Bedrock): as relayq lines.
    if (defaults.provider !== undefined) return { custom_id: line.custom_id, provider: defaults.provider, body };
    return { ...line, params: body };
  }
  if (format === 'openai-batch') {
    const body = isObject(line.body) ? line.body : undefined;
    if (!body) return line;
    const url = line.url;
    const filled = { ...body, model: body.model ?? defaults.model };
    if (url === '/v1/chat/completions') return { ...line, body: fillChatBody(filled, defaults) };
    if (url === '/v1/responses') return { ...line, body: fillResponsesBody(filled, defaults) };
    return { ...line, body: filled };
  }
  if (format === 'gemini-batch') {
    const request = isObject(line.request) ? line.request : undefined;
    return request ? { ...line, request: fillGeminiBody(request, defaults) } : line;
  }
  // relayq's own lines: the body's format follows from the line's format or its provider.
  const body = isObject(line.body) ? line.body : undefined;
  if (!body) return line;
  const out: Json = { ...line };
  if (out.provider === undefined && defaults.provider !== undefined) out.provider = defaults.provider;
  if (out.model === undefined && body.model === undefined && defaults.model !== undefined) out.model = defaults.model;
  const model = typeof out.model === 'string' ? out.model : typeof body.model === 'string' ? body.model : undefined;
  const provider = typeof out.provider === 'string' ? out.provider : model ? routeModel(model, routing) : undefined;
  if (Array.isArray(body.contents) || provider === 'gemini') out.body = fillGeminiBody(body, defaults);
  else if (out.endpoint === '/v1/embeddings') {
    // Embeddings take no generation settings.
  } else if (out.format === 'openai-chat' || provider === 'openai' || provider === 'azure-openai') {
    out.body = out.endpoint === '/v1/responses' || 'input' in body ? fillResponsesBody(body, defaults) : fillChatBody(body, defaults);
  } else out.body = fillMessagesBody(body, defaults);
  return out;
}

function fillMessagesBody(body: Json, defaults: BatchDefaults): Json {
  const out = { ...body };
  if (out.max_tokens === undefined && defaults.maxTokens !== undefined) out.max_tokens = defaults.maxTokens;
  if (out.system === undefined && defaults.system !== undefined) out.system = defaults.system;
  if (out.model === undefined) delete out.model;
  return out;
}

function fillChatBody(body: Json, defaults: BatchDefaults): Json {
  const out = { ...body };
  if (out.max_tokens === undefined && out.max_completion_tokens === undefined && defaults.maxTokens !== undefined) {
    out.max_completion_tokens = defaults.maxTokens;
  }
  if (defaults.system !== undefined && Array.isArray(out.messages)) {
    const messages = out.messages as unknown[];
    const hasSystem = messages.some((message) => isObject(message) && (message.role === 'system' || message.role === 'developer'));
    if (!hasSystem) out.messages = [{ role: 'system', content: defaults.system }, ...messages];
  }
  if (out.model === undefined) delete out.model;
  return out;
}

function fillResponsesBody(body: Json, defaults: BatchDefaults): Json {
  const out = { ...body };
  if (out.max_output_tokens === undefined && defaults.maxTokens !== undefined) out.max_output_tokens = defaults.maxTokens;
  if (out.instructions === undefined && defaults.system !== undefined) out.instructions = defaults.system;
  if (out.model === undefined) delete out.model;
  return out;
}

function fillGeminiBody(body: Json, defaults: BatchDefaults): Json {
  // An embedding request has no generation settings to fill in.
  if (isGeminiEmbedBody(body)) return body;
  const out = { ...body };
  if (defaults.maxTokens !== undefined) {
    const config = isObject(out.generationConfig) ? out.generationConfig : {};
    if (config.maxOutputTokens === undefined) out.generationConfig = { ...config, maxOutputTokens: defaults.maxTokens };
  }
  if (out.systemInstruction === undefined && defaults.system !== undefined) out.systemInstruction = { parts: [{ text: defaults.system }] };
  return out;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
