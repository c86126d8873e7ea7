/**
 * Validation of an InvokeModel body for an Anthropic model: Bedrock's own rules first (no
 * `model`, no `stream`, `anthropic_version` required, `anthropic_beta` a list of strings), then
 * the Messages API's rules for the rest, with the model taken from the URL.
 */
import { validateMessagesBody, type AnthropicMessagesBody } from './anthropic-request.ts';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** The body as the Messages validation saw it (`model` set from the URL), or the 400 message. */
export function validateBedrockBody(body: unknown, modelId: string): AnthropicMessagesBody | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'Malformed input request: expected type: JSONObject, please reformat your input and try again.';
  }
  const fields = body as Record<string, unknown>;
  for (const field of ['model', 'stream']) {
    if (field in fields) {
      return `Malformed input request: #: extraneous key [${field}] is not permitted, please reformat your input and try again.`;
    }
  }
  if (fields.anthropic_version === undefined) {
    return 'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.';
  }
  if (fields.anthropic_version !== BEDROCK_ANTHROPIC_VERSION) return 'Invalid API version';
  const beta = fields.anthropic_beta;
  if (beta !== undefined && (!Array.isArray(beta) || beta.some((flag) => typeof flag !== 'string'))) {
    return 'Malformed input request: #/anthropic_beta: expected type: JSONArray of strings, please reformat your input and try again.';
  }

  const messagesBody: Record<string, unknown> = { model: modelId };
  for (const [field, value] of Object.entries(fields)) {
    if (field !== 'anthropic_version' && field !== 'anthropic_beta') messagesBody[field] = value;
  }
  const checked = validateMessagesBody(messagesBody);
  return typeof checked === 'string' ? `Malformed input request: ${checked}, please reformat your input and try again.` : checked;
}

/**
 * The Anthropic model name Bedrock reports in answers for a model id:
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5-20250929`; other ids as given.
 */
export function anthropicModelName(modelId: string): string {
  const match = /(?:^|\.)anthropic\.([^/:]+?)(?:-v\d+)?(?::\d+)?$/.exec(modelId);
  return match?.[1] ?? modelId;
}
