/**
 * Validation of an Anthropic Messages request body, hand-written (it runs on every request) and
 * answering with messages shaped like Anthropic's ("messages.0.role: ..."), and what the
 * simulator answers from a valid one.
 */
import { inputTokensOf, promptTextOf } from '../answer.ts';
import type { SimulatedRequest } from '../pipeline.ts';

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

export interface AnthropicMessageParam {
  role: 'user' | 'assistant';
  content: string | ({ type: string } & Record<string, unknown>)[];
}

export interface AnthropicMessagesBody {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  [field: string]: unknown;
}

/** Top-level fields the Messages API knows; anything else is "Extra inputs are not permitted". */
const messagesFields: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_k',
  'top_p',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'container',
  'mcp_servers',
  'context_management',
  'output_format',
  'output_config',
  'inference_geo',
]);

const messageFields: ReadonlySet<string> = new Set(['role', 'content']);

/**
 * Checks a parsed body. Returns the typed body, or the error message for a 400. With
 * `requireMaxTokens` false (count_tokens), `max_tokens` may be left out.
 */
export function validateMessagesBody(body: unknown, requireMaxTokens = true): AnthropicMessagesBody | string {
  if (!isRecord(body)) return 'body: Input should be a valid dictionary';
  for (const field in body) {
    if (!messagesFields.has(field)) return `${field}: Extra inputs are not permitted`;
  }
  if (body.model === undefined) return 'model: Field required';
  if (typeof body.model !== 'string') return 'model: Input should be a valid string';
  if (body.model === '') return 'model: String should have at least 1 character';
  if (body.max_tokens === undefined) {
    if (requireMaxTokens) return 'max_tokens: Field required';
  } else {
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) {
      return 'max_tokens: Input should be a valid integer';
    }
    if (body.max_tokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
  }
  const messagesProblem = checkMessages(body.messages);
  if (messagesProblem !== undefined) return messagesProblem;
  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) return 'system: Input should be a valid string or a list of text blocks';
    for (let index = 0; index < body.system.length; index += 1) {
      const block: unknown = body.system[index];
      if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') {
        return `system.${index}: Input should be a text block`;
      }
    }
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences)) return 'stop_sequences: Input should be a valid list';
    for (let index = 0; index < body.stop_sequences.length; index += 1) {
      if (typeof body.stop_sequences[index] !== 'string') {
        return `stop_sequences.${index}: Input should be a valid string`;
      }
    }
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    return 'stream: Input should be a valid boolean';
  }
  const rangeProblem =
    checkNumber(body, 'temperature', 0, 1, false) ??
    checkNumber(body, 'top_p', 0, 1, false) ??
    checkNumber(body, 'top_k', 0, Number.MAX_SAFE_INTEGER, true);
  if (rangeProblem !== undefined) return rangeProblem;
  if (body.metadata !== undefined && !isRecord(body.metadata)) {
    return 'metadata: Input should be a valid dictionary';
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) return 'tools: Input should be a valid list';
  return body as AnthropicMessagesBody;
}

/** A checked Messages body as the pipeline sees it (Bedrock's too, with its model and stream from the URL). */
export function messagesRequestOf(body: AnthropicMessagesBody, model: string, stream: boolean): SimulatedRequest {
  return {
    model,
    promptText: promptTextOf(body),
    inputTokens: inputTokensOf(body),
    // count_tokens may leave max_tokens out; it reserves nothing.
    maxOutputTokens: body.max_tokens ?? 0,
    stopSequences: body.stop_sequences,
    stream,
    embedding: false,
  };
}

function checkMessages(messages: unknown): string | undefined {
  if (messages === undefined) return 'messages: Field required';
  if (!Array.isArray(messages)) return 'messages: Input should be a valid list';
  if (messages.length === 0) return 'messages: at least one message is required';
  const last = messages.length - 1;
  for (let index = 0; index <= last; index += 1) {
    const message: unknown = messages[index];
    if (!isRecord(message)) return `messages.${index}: Input should be a valid dictionary`;
    for (const field in message) {
      if (!messageFields.has(field)) return `messages.${index}.${field}: Extra inputs are not permitted`;
    }
    if (message.role === undefined) return `messages.${index}.role: Field required`;
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${index}.role: Input should be 'user' or 'assistant'`;
    }
    const optionalEmpty = index === last && message.role === 'assistant';
    const contentProblem = checkContent(message.content, index, optionalEmpty);
    if (contentProblem !== undefined) return contentProblem;
  }
  if (!isRecord(messages[0]) || messages[0].role !== 'user') {
    return 'messages: first message must use the "user" role';
  }
  return undefined;
}

function checkContent(content: unknown, index: number, mayBeEmpty: boolean): string | undefined {
  const emptyProblem = `messages.${index}: all messages must have non-empty content except for the optional final assistant message`;
  if (content === undefined) return `messages.${index}.content: Field required`;
  if (typeof content === 'string') return content === '' && !mayBeEmpty ? emptyProblem : undefined;
  if (!Array.isArray(content)) return `messages.${index}.content: Input should be a valid string or a list of blocks`;
  if (content.length === 0 && !mayBeEmpty) return emptyProblem;
  for (let blockIndex = 0; blockIndex < content.length; blockIndex += 1) {
    const block: unknown = content[blockIndex];
    const path = `messages.${index}.content.${blockIndex}`;
    if (!isRecord(block)) return `${path}: Input should be a valid dictionary`;
    if (typeof block.type !== 'string') return `${path}.type: Field required`;
    if (block.type === 'text') {
      if (typeof block.text !== 'string') return `${path}.text: Field required`;
      if (block.text === '') return 'messages: text content blocks must be non-empty';
    }
  }
  return undefined;
}

function checkNumber(body: Record<string, unknown>, field: string, min: number, max: number, integer: boolean): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return `${field}: Input should be a valid ${integer ? 'integer' : 'number'}`;
  }
  if (value < min) return `${field}: Input should be greater than or equal to ${min}`;
  if (value > max) return `${field}: Input should be less than or equal to ${max}`;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
