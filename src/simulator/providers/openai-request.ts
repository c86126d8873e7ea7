/**
 * Validation of OpenAI Chat Completions and Responses request bodies for the simulator,
 * hand-written (it runs on every request) and answering with OpenAI-style messages, plus the
 * prompt text, token counts and output budget of a request.
 */
import { countTokens, inputTokensOf, promptTextOf } from '../answer.ts';
import { InvalidBody, type SimulatedRequest } from '../pipeline.ts';
import { validateEmbeddings } from './openai-embeddings.ts';

/** Output tokens reserved (and the most generated) when a request sets no limit. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

export type OpenAIEndpointKind = 'chat' | 'responses' | 'embeddings';

/** A request body that passed validation, reduced to what the simulator answers from. */
export interface OpenAIRequest extends SimulatedRequest {
  endpoint: OpenAIEndpointKind;
  /** Chat: `stream_options.include_usage`; the last chunk then carries the usage. */
  includeUsage: boolean;
  /** Responses: the body's `instructions` and `max_output_tokens`, echoed in the answer. */
  instructions: unknown;
  maxOutputTokensParam: number | null;
  /** Embeddings: the texts to embed, one vector each. */
  embeddingInputs?: string[];
}

const chatRoles: ReadonlySet<string> = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/**
 * Checks a parsed body for an endpoint. `model` is the deployment's model when the route names it
 * (Azure's deployment paths), else the body's. Returns the request, or the problem for a 400.
 */
export function validateOpenAIBody(body: unknown, endpoint: OpenAIEndpointKind, routeModel?: string): OpenAIRequest | InvalidBody {
  if (!isRecord(body)) return problem('The request body must be a JSON object.', null);
  const model = routeModel ?? body.model;
  if (model === undefined) return problem("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model === '') return invalidType('model', 'a string', model);
  if (endpoint === 'embeddings') return validateEmbeddings(body, model);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return invalidType('stream', 'a boolean', body.stream);
  }
  const stream = body.stream === true;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) {
      return problem("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
    }
    if (!isRecord(body.stream_options)) return invalidType('stream_options', 'an object', body.stream_options);
  }
  return endpoint === 'chat' ? validateChat(body, model, stream) : validateResponses(body, model, stream);
}

function validateChat(body: Record<string, unknown>, model: string, stream: boolean): OpenAIRequest | InvalidBody {
  const { messages } = body;
  if (messages === undefined) return problem("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) return invalidType('messages', 'an array', messages);
  if (messages.length === 0)
    return problem(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  for (let index = 0; index < messages.length; index += 1) {
    const message: unknown = messages[index];
    if (!isRecord(message)) return invalidType(`messages[${index}]`, 'an object', message);
    if (message.role === undefined) {
      return problem(`Missing required parameter: 'messages[${index}].role'.`, `messages[${index}].role`, 'missing_required_parameter');
    }
    if (typeof message.role !== 'string' || !chatRoles.has(message.role)) {
      return problem(
        `Invalid value: '${String(message.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${index}].role`,
        'invalid_value',
      );
    }
    const { content } = message;
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
      return invalidType(`messages[${index}].content`, 'a string or an array', content);
    }
  }
  const limit = body.max_completion_tokens ?? body.max_tokens;
  const limitName = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  const limitProblem = checkPositiveInt(limit, limitName, 1);
  if (limitProblem !== undefined) return limitProblem;
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return problem('The simulator answers one choice per request: leave out n or set it to 1.', 'n', 'unsupported_value');
  }
  let stopSequences: string[] | undefined;
  if (typeof body.stop === 'string') stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) {
    if (body.stop.length > 4 || body.stop.some((entry) => typeof entry !== 'string')) {
      return problem("Invalid 'stop': expected up to 4 strings.", 'stop', 'invalid_value');
    }
    stopSequences = body.stop as string[];
  } else if (body.stop !== undefined && body.stop !== null) {
    return invalidType('stop', 'a string or an array of strings', body.stop);
  }
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : undefined;
  return {
    endpoint: 'chat',
    model,
    stream,
    embedding: false,
    includeUsage: streamOptions?.include_usage === true,
    maxOutputTokens: typeof limit === 'number' ? limit : DEFAULT_MAX_OUTPUT_TOKENS,
    stopSequences,
    promptText: promptTextOf(body),
    // A chat body's system prompt is one of its messages: counted as Anthropic's handler counts.
    inputTokens: inputTokensOf({ messages }),
    instructions: null,
    maxOutputTokensParam: typeof limit === 'number' ? limit : null,
  };
}

function validateResponses(body: Record<string, unknown>, model: string, stream: boolean): OpenAIRequest | InvalidBody {
  const { input } = body;
  if (input === undefined) return problem("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof input !== 'string' && !Array.isArray(input)) return invalidType('input', 'a string or an array', input);
  if (Array.isArray(input)) {
    for (let index = 0; index < input.length; index += 1) {
      if (!isRecord(input[index])) return invalidType(`input[${index}]`, 'an object', input[index]);
    }
  }
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
    return invalidType('instructions', 'a string', body.instructions);
  }
  const limitProblem = checkPositiveInt(body.max_output_tokens, 'max_output_tokens', 16);
  if (limitProblem !== undefined) return limitProblem;
  const limit = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null;
  return {
    endpoint: 'responses',
    model,
    stream,
    embedding: false,
    includeUsage: true,
    maxOutputTokens: limit ?? DEFAULT_MAX_OUTPUT_TOKENS,
    stopSequences: undefined,
    promptText: responsesPromptText(input),
    inputTokens: responsesInputTokens(body.instructions, input),
    instructions: body.instructions ?? null,
    maxOutputTokensParam: limit,
  };
}

/**
 * The prompt of a Responses `input`: the string itself, or the last user item's text (a content
 * string, or its `input_text` parts joined with "\n").
 */
export function responsesPromptText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  for (let index = input.length - 1; index >= 0; index -= 1) {
    const item: unknown = input[index];
    if (!isRecord(item) || item.role !== 'user' || (item.type !== undefined && item.type !== 'message')) continue;
    if (typeof item.content === 'string') return item.content;
    if (!Array.isArray(item.content)) return '';
    const texts: string[] = [];
    for (const part of item.content as unknown[]) {
      if (isRecord(part) && (part.type === 'input_text' || part.type === 'text') && typeof part.text === 'string') {
        texts.push(part.text);
      }
    }
    return texts.join('\n');
  }
  return '';
}

/** Like the Anthropic count: countTokens of JSON.stringify(instructions) (when set) then of JSON.stringify(input). */
export function responsesInputTokens(instructions: unknown, input: unknown): number {
  const system = instructions === undefined || instructions === null ? '' : (JSON.stringify(instructions) ?? '');
  return countTokens(system + (JSON.stringify(input) ?? ''));
}

function checkPositiveInt(value: unknown, param: string, min: number): InvalidBody | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return invalidType(param, 'an integer', value);
  if (value < min) {
    return problem(
      `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      param,
      'integer_below_min_value',
    );
  }
  return undefined;
}

function invalidType(param: string, expected: string, value: unknown): InvalidBody {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return problem(`Invalid type for '${param}': expected ${expected}, but got ${got} instead.`, param, 'invalid_type');
}

function problem(message: string, param: string | null, code: string | null = null): InvalidBody {
  return new InvalidBody(message, param, code);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
