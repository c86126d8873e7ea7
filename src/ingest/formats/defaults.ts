/**
 * Batch-level defaults from the command line (`--provider`, `--model`, `--max-tokens`,
 * `--system`), filled into each line that lacks them. This file is the format-level plumbing:
 * where a format keeps its body, model and provider. The body's own terms (Anthropic `max_tokens`,
 * OpenAI `max_completion_tokens`, Gemini `generationConfig.maxOutputTokens`, ...) are each
 * provider module's `fillDefaults`. A value the line sets always wins.
 */
import type { BatchDefaults } from '../../batches/batch-store.ts';
import { routeModel, type RoutingRule } from '../../accounts/routing.ts';
import { dialectModule, isProviderName, providerModule, type BodyDefaults } from '../../providers/index.ts';
import type { InputFormat } from './line-format.ts';

type Json = Record<string, unknown>;

export function hasDefaults(defaults: BatchDefaults | undefined): boolean {
  return defaults !== undefined && Object.values(defaults).some((value) => value !== undefined);
}

/**
 * The line with the defaults filled in (a shallow copy where changed; the input is not modified).
 * Gemini batch lines get their model and provider from their reader (formats/gemini-batch.ts), their body here.
 */
export function applyDefaults(line: Json, format: InputFormat, defaults: BatchDefaults, routing: readonly RoutingRule[] = []): Json {
  const fill: BodyDefaults = { maxTokens: defaults.maxTokens, system: defaults.system };
  if (format === 'anthropic-batch') {
    const params = isObject(line.params) ? line.params : undefined;
    if (!params) return line;
    const body = dialectModule('anthropic-messages').fillDefaults(withModel(params, defaults.model), fill);
    // A provider default sends Anthropic-format lines elsewhere (Bedrock): as relayq lines.
    if (defaults.provider !== undefined) return { custom_id: line.custom_id, provider: defaults.provider, body };
    return { ...line, params: body };
  }
  if (format === 'openai-batch') {
    const body = isObject(line.body) ? line.body : undefined;
    if (!body) return line;
    const url = typeof line.url === 'string' ? line.url : undefined;
    return { ...line, body: dialectModule('openai').fillDefaults(withModel(body, defaults.model), fill, url) };
  }
  if (format === 'gemini-batch') {
    const request = isObject(line.request) ? line.request : undefined;
    return request ? { ...line, request: dialectModule('gemini').fillDefaults(request, fill) } : line;
  }
  // relayq's own lines: the body's terms follow from the line's format or its provider.
  const body = isObject(line.body) ? line.body : undefined;
  if (!body) return line;
  const out: Json = { ...line };
  if (out.provider === undefined && defaults.provider !== undefined) out.provider = defaults.provider;
  if (out.model === undefined && body.model === undefined && defaults.model !== undefined) out.model = defaults.model;
  const endpoint = typeof out.endpoint === 'string' ? out.endpoint : undefined;
  if (out.format === 'openai-chat') {
    out.body = dialectModule('openai').fillDefaults(body, fill, endpoint);
    return out;
  }
  const model = typeof out.model === 'string' ? out.model : typeof body.model === 'string' ? body.model : undefined;
  const provider = out.provider !== undefined ? out.provider : model ? routeModel(model, routing) : undefined;
  // A line whose provider is unknown is rejected by parse-line; its body is left as it is.
  if (isProviderName(provider)) out.body = providerModule(provider).fillDefaults(body, fill, endpoint);
  return out;
}

/** The body with the batch's model where it names none. */
function withModel(body: Json, model: string | undefined): Json {
  return body.model === undefined && model !== undefined ? { ...body, model } : body;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
