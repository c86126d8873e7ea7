/**
 * OpenAI's answer shapes as the simulator sends them: the chat.completion JSON and its chunk
 * stream (`data:` frames, a usage chunk when asked, `data: [DONE]`), and the Responses object and
 * its named event stream (`response.created` ... `response.completed`). Azure OpenAI answers in
 * the same shapes.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ComposedAnswer } from '../answer.ts';
import type { Exchange } from '../exchange.ts';
import type { SimulatorRuntime } from '../runtime.ts';
import { setSseHeaders, writeStream, type StreamEnding, type StreamFraming } from '../stream.ts';
import { streamServerError } from './openai-errors.ts';
import type { OpenAIRequest } from './openai-request.ts';

export interface AnswerParts {
  id: string;
  /** The id of the Responses message item. */
  itemId: string;
  created: number;
  model: string;
  request: OpenAIRequest;
  answer: ComposedAnswer;
}

const systemFingerprint = 'fp_relayqsim';

function chatFinishReason(answer: ComposedAnswer): string {
  return answer.stopReason === 'max_tokens' ? 'length' : 'stop';
}

function chatUsage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The non-streamed chat.completion. */
function chatCompletionJson(parts: AnswerParts): string {
  return JSON.stringify({
    id: parts.id,
    object: 'chat.completion',
    created: parts.created,
    model: parts.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: parts.answer.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: chatFinishReason(parts.answer),
      },
    ],
    usage: chatUsage(parts.request.inputTokens, parts.answer.outputTokens),
    service_tier: 'default',
    system_fingerprint: systemFingerprint,
  });
}

function responsesUsage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

function messageItem(parts: AnswerParts, text: string, status: string): Record<string, unknown> {
  return {
    id: parts.itemId,
    type: 'message',
    status,
    content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
    role: 'assistant',
  };
}

/** A Response object: `in_progress` (no output yet) or final (completed / incomplete). */
function responseObject(parts: AnswerParts, final: boolean): Record<string, unknown> {
  const incomplete = parts.answer.stopReason === 'max_tokens';
  const status = !final ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
  return {
    id: parts.id,
    object: 'response',
    created_at: parts.created,
    status,
    background: false,
    error: null,
    incomplete_details: final && incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: parts.request.instructions,
    max_output_tokens: parts.request.maxOutputTokensParam,
    model: parts.model,
    output: final ? [messageItem(parts, parts.answer.text, incomplete ? 'incomplete' : 'completed')] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: final ? responsesUsage(parts.request.inputTokens, parts.answer.outputTokens) : null,
    metadata: {},
  };
}

/** The non-streamed Response. */
function responseJson(parts: AnswerParts): string {
  return JSON.stringify(responseObject(parts, true));
}

/** The non-streamed answer of its endpoint: a chat.completion or a Response. */
export function openAIAnswerJson(parts: AnswerParts): string {
  return parts.request.endpoint === 'chat' ? chatCompletionJson(parts) : responseJson(parts);
}

/** The frames of a stream; Chat Completions and Responses frame the same answer differently. */
type OpenAIFraming = Pick<StreamFraming<string>, 'head' | 'delta' | 'tail' | 'errorEnding'>;

/** Streams the answer as its endpoint does: chat.completion chunks, or Responses events. */
export function streamOpenAIAnswer(
  exchange: Exchange,
  runtime: SimulatorRuntime,
  parts: AnswerParts,
  headers: OutgoingHttpHeaders,
  ending: StreamEnding,
): Promise<void> {
  setSseHeaders(headers);
  headers['x-request-id'] = exchange.requestId;
  const framing = parts.request.endpoint === 'chat' ? chatCompletionFraming(parts) : responseFraming(parts);
  return writeStream(exchange, runtime, parts.answer, ending, { headers, ...framing });
}

/** A chat.completion as chunks: `data:` frames, a usage chunk when asked, `data: [DONE]`. */
function chatCompletionFraming(parts: AnswerParts): OpenAIFraming {
  // With include_usage every chunk has `usage: null` and one last chunk carries it; without, no field.
  const { includeUsage } = parts.request;
  const chunk = (choices: unknown[], chunkUsage: unknown = null): string =>
    `data: ${JSON.stringify({
      id: parts.id,
      object: 'chat.completion.chunk',
      created: parts.created,
      model: parts.model,
      service_tier: 'default',
      system_fingerprint: systemFingerprint,
      choices,
      ...(includeUsage ? { usage: chunkUsage } : {}),
    })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  return {
    head: chunk([choice({ role: 'assistant', content: '', refusal: null }, null)]),
    delta: (text) => chunk([choice({ content: text }, null)]),
    tail: () =>
      chunk([choice({}, chatFinishReason(parts.answer))]) +
      (includeUsage ? chunk([], chatUsage(parts.request.inputTokens, parts.answer.outputTokens)) : '') +
      'data: [DONE]\n\n',
    errorEnding: () => `data: ${JSON.stringify({ error: streamServerError })}\n\n`,
  };
}

/** A Response as named events, `response.created` ... `response.completed`. */
function responseFraming(parts: AnswerParts): OpenAIFraming {
  // Events are built as they go out, so their sequence numbers follow the order on the wire.
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
  const where = { item_id: parts.itemId, output_index: 0, content_index: 0 };
  const final = responseObject(parts, true);
  const item = (final.output as Record<string, unknown>[])[0] ?? {};
  const part = { type: 'output_text', annotations: [], logprobs: [], text: parts.answer.text };
  return {
    head:
      event('response.created', { response: responseObject(parts, false) }) +
      event('response.in_progress', { response: responseObject(parts, false) }) +
      event('response.output_item.added', { output_index: 0, item: messageItem(parts, '', 'in_progress') }) +
      event('response.content_part.added', { ...where, part: { ...part, text: '' } }),
    delta: (text) => event('response.output_text.delta', { ...where, delta: text, logprobs: [] }),
    tail: () =>
      event('response.output_text.done', { ...where, text: parts.answer.text, logprobs: [] }) +
      event('response.content_part.done', { ...where, part }) +
      event('response.output_item.done', { output_index: 0, item }) +
      event(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final }),
    errorEnding: () => event('error', { code: streamServerError.code, message: streamServerError.message, param: null }),
  };
}
