import { describe, expect, it } from 'vitest';
import { openAiChatToGemini, skipThoughtSignature } from '../../../src/providers/gemini/from-openai-chat.ts';
import { parseOpenAiChatBody } from '../../../src/translate/openai-chat/translate.ts';
import type { JsonObject } from '../../../src/executors/types.ts';
import { answerSchema, openAiOnlySettings, pngBase64, weatherConversation, weatherSchema } from '../../translate/openai-chat/bodies.ts';

const toGemini = (body: JsonObject) => openAiChatToGemini(parseOpenAiChatBody(body));

describe('OpenAI chat → Gemini GenerateContentRequest', () => {
  it('translates system prompts, turns, images, function calls and responses, a JSON schema, stops and sampling', () => {
    const { body, warnings } = toGemini(weatherConversation());
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'You are a concise weather assistant.' }, { text: 'Use metric units.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Where were these two photos taken, and what is the weather there now?' },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/photos/paris.jpg' } },
            { inlineData: { mimeType: 'image/png', data: pngBase64 } },
          ],
        },
        {
          role: 'model',
          parts: [
            { text: 'The first is Paris, the second Berlin. Let me check the weather.' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: skipThoughtSignature },
            { functionCall: { name: 'get_weather', args: { city: 'Berlin' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { temp_c: 18, sky: 'cloudy' } } },
            { functionResponse: { name: 'get_weather', response: { content: '21 C, sunny' } } },
            { text: 'Which city is warmer, and by how much?' },
          ],
        },
      ],
      generationConfig: {
        maxOutputTokens: 300,
        temperature: 0.3,
        topP: 0.9,
        stopSequences: ['END', '###'],
        responseMimeType: 'application/json',
        responseJsonSchema: answerSchema,
      },
      tools: [
        {
          functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parametersJsonSchema: weatherSchema }],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });
    expect(warnings).toEqual([
      'user: gemini has no end-user identifier; left out',
      'tools[].function.strict: gemini does not guarantee that tool arguments match their schema',
    ]);
  });

  it('translates the penalties and seed Gemini has, and warns about the rest', () => {
    const { body, warnings } = toGemini(openAiOnlySettings());
    expect(body.generationConfig).toEqual({ maxOutputTokens: 20, presencePenalty: 0.5, frequencyPenalty: -0.25, seed: 7 });
    expect(warnings).toEqual([
      'n=3: gemini returns one choice per request, so one was produced; ignored',
      'logprobs: relayq does not return log probabilities from gemini; ignored',
      "logit_bias: gemini has no token bias (its token ids differ from OpenAI's); ignored",
      "reasoning_effort=low: not translated to gemini's thinking settings; ignored",
      'store: not a setting relayq translates to gemini; ignored',
    ]);
  });

  it('sends back a thought signature a call carries, takes audio, and maps tool choices', () => {
    const { body, warnings } = toGemini({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_0',
              type: 'function',
              function: { name: 'transcribe', arguments: '' },
              extra_content: { google: { thought_signature: 'c2lnbmF0dXJl' } },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_0', content: 'hello world' },
      ],
      tools: [
        { type: 'function', function: { name: 'transcribe' } },
        { type: 'custom', custom: { name: 'grammar' } },
      ],
      tool_choice: { type: 'function', function: { name: 'transcribe' } },
      parallel_tool_calls: false,
      stop: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } }] },
      { role: 'model', parts: [{ functionCall: { name: 'transcribe', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'transcribe', response: { content: 'hello world' } } }] },
    ]);
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'transcribe' }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['transcribe'] } });
    expect((body.generationConfig as JsonObject).stopSequences).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(warnings).toEqual([
      'stop: gemini takes at most 5 stop sequences; the rest were left out',
      'tools[1]: "custom" tools only run on OpenAI; left out',
      'parallel_tool_calls=false: gemini cannot be limited to one tool call per answer; ignored',
    ]);
  });

  it('takes max_completion_tokens over the deprecated max_tokens when a body sets both', () => {
    const messages = [{ role: 'user', content: 'Hi' }];
    const both = toGemini({ model: 'gpt-4o', messages, max_tokens: 400, max_completion_tokens: 50 }).body;
    expect(both.generationConfig).toMatchObject({ maxOutputTokens: 50 });
  });

  it('asks for JSON without a schema for json_object', () => {
    const { body } = toGemini({
      model: 'g',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it('refuses a tool result whose call it cannot find, since Gemini matches results by function name', () => {
    const body = {
      model: 'g',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'call_9', content: '1' },
      ],
    };
    expect(() => toGemini(body)).toThrow('messages[1]: tool_call_id "call_9" matches no tool call of an earlier assistant message');
  });
});
