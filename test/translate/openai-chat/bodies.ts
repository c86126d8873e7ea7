/** Realistic Chat Completions bodies, as prompt files carry them. */
import type { JsonObject } from '../../../src/executors/types.ts';

/** A tiny PNG as a data URL. */
export const pngDataUrl =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
export const pngBase64 = pngDataUrl.slice('data:image/png;base64,'.length);

export const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
  additionalProperties: false,
};

export const answerSchema = {
  type: 'object',
  properties: { warmer: { type: 'string' }, difference_c: { type: 'number' } },
  required: ['warmer', 'difference_c'],
  additionalProperties: false,
};

/**
 * System + developer instructions, a user turn with text and two images (URL and base64), an
 * assistant turn with text and two parallel tool calls, their two results, a follow-up question,
 * a strict function tool, a JSON schema answer, stop sequences and sampling settings.
 */
export function weatherConversation(): JsonObject {
  return {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are a concise weather assistant.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Where were these two photos taken, and what is the weather there now?' },
          { type: 'image_url', image_url: { url: 'https://example.com/photos/paris.jpg' } },
          { type: 'image_url', image_url: { url: pngDataUrl } },
        ],
      },
      {
        role: 'assistant',
        content: 'The first is Paris, the second Berlin. Let me check the weather.',
        tool_calls: [
          { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_berlin', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Berlin"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_paris', content: '{"temp_c":18,"sky":"cloudy"}' },
      { role: 'tool', tool_call_id: 'call_berlin', content: [{ type: 'text', text: '21 C, sunny' }] },
      { role: 'user', content: 'Which city is warmer, and by how much?' },
    ],
    max_completion_tokens: 300,
    temperature: 0.3,
    top_p: 0.9,
    stop: ['END', '###'],
    tools: [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherSchema, strict: true },
      },
    ],
    tool_choice: 'auto',
    response_format: { type: 'json_schema', json_schema: { name: 'comparison', strict: true, schema: answerSchema } },
    user: 'user-4711',
  };
}

/** One user question and every setting no other provider has. */
export function openAiOnlySettings(): JsonObject {
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Name a colour.' }],
    max_tokens: 20,
    n: 3,
    logprobs: true,
    top_logprobs: 2,
    presence_penalty: 0.5,
    frequency_penalty: -0.25,
    seed: 7,
    logit_bias: { '1734': -100 },
    reasoning_effort: 'low',
    store: true,
    stream: true,
    stream_options: { include_usage: true },
  };
}
