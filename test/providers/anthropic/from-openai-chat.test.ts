import { describe, expect, it } from 'vitest';
import { parseOpenAiChatBody } from '../../../src/translate/openai-chat/translate.ts';
import {
  defaultAnthropicMaxTokens,
  jsonObjectInstruction,
  openAiChatToAnthropic,
} from '../../../src/providers/anthropic/from-openai-chat.ts';
import { TranslationError } from '../../../src/providers/shared/openai-chat/translation.ts';
import type { JsonObject } from '../../../src/executors/types.ts';
import { answerSchema, openAiOnlySettings, pngBase64, weatherConversation, weatherSchema } from '../../translate/openai-chat/bodies.ts';

const toAnthropic = (body: JsonObject, model = 'claude-sonnet-4-5') => openAiChatToAnthropic(parseOpenAiChatBody(body), model);

describe('OpenAI chat → Anthropic Messages', () => {
  it('translates system prompts, turns, images, tool calls and results, a JSON schema, stops and sampling', () => {
    const { body, warnings } = toAnthropic(weatherConversation());
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      system: 'You are a concise weather assistant.\n\nUse metric units.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where were these two photos taken, and what is the weather there now?' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/photos/paris.jpg' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngBase64 } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'The first is Paris, the second Berlin. Let me check the weather.' },
            { type: 'tool_use', id: 'call_paris', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_berlin', name: 'get_weather', input: { city: 'Berlin' } },
          ],
        },
        {
          // Both tool results and the follow-up question: one user turn, results first.
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_paris', content: '{"temp_c":18,"sky":"cloudy"}' },
            { type: 'tool_result', tool_use_id: 'call_berlin', content: [{ type: 'text', text: '21 C, sunny' }] },
            { type: 'text', text: 'Which city is warmer, and by how much?' },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.9,
      stop_sequences: ['END', '###'],
      metadata: { user_id: 'user-4711' },
      tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: weatherSchema, strict: true }],
      tool_choice: { type: 'auto' },
      output_config: { format: { type: 'json_schema', schema: answerSchema } },
    });
    expect(warnings).toEqual([]);
  });

  it('warns about every setting Anthropic cannot honour instead of dropping it silently', () => {
    const { body, warnings } = toAnthropic(openAiOnlySettings());
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'Name a colour.' }],
    });
    expect(warnings).toEqual([
      'n=3: anthropic returns one choice per request, so one was produced; ignored',
      'logprobs: relayq does not return log probabilities from anthropic; ignored',
      'presence_penalty=0.5: anthropic has no presence penalty; ignored',
      'frequency_penalty=-0.25: anthropic has no frequency penalty; ignored',
      'seed=7: anthropic has no sampling seed; ignored',
      "logit_bias: anthropic has no token bias (its token ids differ from OpenAI's); ignored",
      "reasoning_effort=low: not translated to anthropic's thinking settings; ignored",
      'store: not a setting relayq translates to anthropic; ignored',
    ]);
  });

  it('clamps a temperature above 1, asks for JSON in the system prompt for json_object, and warns about both', () => {
    const { body, warnings } = toAnthropic({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'List three fruits as JSON.' }],
      temperature: 1.4,
      top_p: 1,
      response_format: { type: 'json_object' },
    });
    expect(body).toMatchObject({ temperature: 1, system: jsonObjectInstruction, max_tokens: defaultAnthropicMaxTokens });
    expect(body).not.toHaveProperty('top_p'); // 1 is the default, and newer models refuse it next to temperature
    expect(warnings).toEqual([
      'response_format json_object: anthropic has no JSON mode without a schema; the system prompt asks for JSON instead',
      'temperature=1.4: anthropic accepts at most 1; sent as 1',
    ]);
  });

  it('takes max_completion_tokens over the deprecated max_tokens when a body sets both', () => {
    const messages = [{ role: 'user', content: 'Hi' }];
    expect(toAnthropic({ model: 'gpt-4o', messages, max_tokens: 400, max_completion_tokens: 50 }).body.max_tokens).toBe(50);
    expect(toAnthropic({ model: 'gpt-4o', messages, max_tokens: 400 }).body.max_tokens).toBe(400);
  });

  it('maps tool_choice and parallel_tool_calls', () => {
    const tools = [
      { type: 'function', function: { name: 'a', parameters: weatherSchema } },
      { type: 'function', function: { name: 'b' } },
    ];
    const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'go' }], tools };
    const choice = (extra: JsonObject) => toAnthropic({ ...base, ...extra }).body.tool_choice;
    expect(choice({ tool_choice: 'required' })).toEqual({ type: 'any' });
    expect(choice({ tool_choice: 'none' })).toEqual({ type: 'none' });
    expect(choice({ tool_choice: { type: 'function', function: { name: 'b' } } })).toEqual({ type: 'tool', name: 'b' });
    expect(choice({ parallel_tool_calls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choice({ tool_choice: 'required', parallel_tool_calls: false })).toEqual({ type: 'any', disable_parallel_tool_use: true });

    const allowed = toAnthropic({
      ...base,
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'b' } }] } },
    }).body;
    expect(allowed.tools).toEqual([{ name: 'b', input_schema: { type: 'object', properties: {} } }]);
    expect(allowed.tool_choice).toEqual({ type: 'any' });
  });

  it('sends PDFs as documents and warns about parts it leaves out', () => {
    const { body, warnings } = toAnthropic({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          name: 'ana',
          content: [
            { type: 'text', text: 'Summarise the report.' },
            { type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } },
            { type: 'file', file: { file_id: 'file-abc123' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'image_url', image_url: { url: 'https://example.com/chart.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarise the report.' },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'report.pdf' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/chart.png' } },
        ],
      },
    ]);
    expect(warnings).toEqual([
      'messages[].name: anthropic has no participant names; left out',
      'messages[0].content[2]: file_id file-abc123 names a file stored at OpenAI, which anthropic cannot read; left out',
      'messages[0].content[3]: anthropic takes no audio input; the audio was left out',
      'image_url.detail=low: anthropic has no image detail setting; ignored',
    ]);
  });

  it('moves a mid-conversation system message into the system prompt, with a warning', () => {
    const { body, warnings } = toAnthropic({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'system', content: 'From now on, answer in French.' },
        { role: 'user', content: 'How are you?' },
      ],
    });
    expect(body.system).toBe('From now on, answer in French.');
    expect(body.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'How are you?' },
    ]);
    expect(warnings).toEqual([
      'messages[2]: anthropic takes system instructions only before the conversation; this system message was moved into the system prompt',
    ]);
  });

  it.each([
    [
      'a deprecated function message',
      [
        { role: 'user', content: 'x' },
        { role: 'function', name: 'f', content: '1' },
      ],
      /messages\[1\]: function_call and "function" messages belong to OpenAI's deprecated functions API/,
    ],
    [
      'tool arguments that are not JSON',
      [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{city: Paris}' } }] },
      ],
      /messages\[1\]\.tool_calls\[0\]\.function: arguments are not valid JSON/,
    ],
    [
      'a data URL that is not base64',
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }] }],
      /messages\[0\]\.content\[0\]\.image_url\.url: a data URL must look like data:<mime type>;base64,<data>/,
    ],
  ])('refuses %s with a message naming the place', (_what, messages, message) => {
    expect(() => toAnthropic({ model: 'gpt-4o', messages })).toThrow(TranslationError);
    expect(() => toAnthropic({ model: 'gpt-4o', messages })).toThrow(message);
  });
});
