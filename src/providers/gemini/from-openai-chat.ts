/** OpenAI Chat Completions body → Gemini GenerateContentRequest (the model goes in the URL). */
import type { JsonObject } from '../../executors/types.ts';
import { audioMimeType, isDataUrl, mimeTypeOfUrl, parseDataUrl } from '../shared/openai-chat/media.ts';
import { textOf, type ChatMessage, type OpenAiChatBody, type OpenAiToolCall, type UserPart } from '../shared/openai-chat/schema.ts';
import { unsupportedSettingWarnings } from '../shared/openai-chat/settings.ts';
import { deprecatedFunctionsMessage, parseToolArguments, planTools } from '../shared/openai-chat/tools.ts';
import { TranslationError, warningList, type Translation } from '../shared/openai-chat/translation.ts';

/** Gemini accepts at most this many stop sequences. */
export const geminiMaxStopSequences = 5;

/**
 * Gemini 3 wants the thought signature it gave with a function call back with the call. A call
 * carries it under `extra_content.google.thought_signature` (as Gemini's OpenAI-compatible API
 * and relayq's own chat.completion answers give it); a call without one, made by another model
 * or written by hand, gets the value Google documents for histories it did not produce.
 */
export const skipThoughtSignature = 'skip_thought_signature_validator';

type Part = JsonObject;
interface GeminiContent {
  role: 'user' | 'model';
  parts: Part[];
}

export function openAiChatToGemini(chat: OpenAiChatBody): Translation {
  const { warnings, warn } = warningList(unsupportedSettingWarnings(chat, 'gemini', { seed: true, penalties: true }));
  const systemParts: Part[] = [];
  const contents: GeminiContent[] = [];
  /** Gemini matches a function's result to its call by name: tool_call_id → function name. */
  const callNames = new Map<string, string>();
  let conversationStarted = false;

  const append = (role: GeminiContent['role'], parts: Part[]) => {
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  chat.messages.forEach((message: ChatMessage, index) => {
    const where = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        if (conversationStarted) {
          warn(
            `${where}: gemini takes system instructions only before the conversation; this ${message.role} message was moved into the system instruction`,
          );
        }
        systemParts.push({ text: textOf(message.content) });
        return;
      case 'user': {
        conversationStarted = true;
        if (message.name !== undefined) warn('messages[].name: gemini has no participant names; left out');
        const parts =
          typeof message.content === 'string'
            ? [{ text: message.content }]
            : message.content.flatMap((part, partIndex) => userParts(part, `${where}.content[${partIndex}]`, warn));
        if (parts.length === 0) {
          throw new TranslationError(`${where}: nothing left to send to gemini once the parts it cannot take were left out`);
        }
        append('user', parts);
        return;
      }
      case 'assistant': {
        conversationStarted = true;
        if (message.function_call != null) throw new TranslationError(deprecatedFunctionsMessage(where));
        if (message.name !== undefined) warn('messages[].name: gemini has no participant names; left out');
        if (message.audio != null) warn(`${where}: an earlier audio answer cannot be sent to gemini; left out`);
        const parts: Part[] = [];
        const content = message.content;
        if (typeof content === 'string') {
          if (content !== '') parts.push({ text: content });
        } else if (content != null) {
          for (const part of content) parts.push({ text: part.type === 'text' ? part.text : part.refusal });
        }
        (message.tool_calls ?? []).forEach((call, callIndex) => {
          callNames.set(call.id, call.function.name);
          const args = parseToolArguments(call.function.arguments, `${where}.tool_calls[${callIndex}].function`);
          const signature = thoughtSignatureOf(call) ?? (callIndex === 0 ? skipThoughtSignature : undefined);
          parts.push({
            functionCall: { name: call.function.name, args },
            ...(signature === undefined ? {} : { thoughtSignature: signature }),
          });
        });
        if (parts.length === 0) warn(`${where}: an assistant message without content or tool calls was left out`);
        else append('model', parts);
        return;
      }
      case 'tool': {
        conversationStarted = true;
        const name = callNames.get(message.tool_call_id);
        if (name === undefined) {
          throw new TranslationError(
            `${where}: tool_call_id "${message.tool_call_id}" matches no tool call of an earlier assistant message; gemini needs the function's name`,
          );
        }
        append('user', [{ functionResponse: { name, response: functionResponse(textOf(message.content)) } }]);
        return;
      }
      case 'function':
        throw new TranslationError(deprecatedFunctionsMessage(where));
    }
  });

  const body: JsonObject = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };

  const config: JsonObject = {};
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (chat.temperature != null) config.temperature = chat.temperature;
  if (chat.top_p != null) config.topP = chat.top_p;
  let stops = chat.stop == null ? [] : typeof chat.stop === 'string' ? [chat.stop] : chat.stop;
  if (stops.length > geminiMaxStopSequences) {
    warn(`stop: gemini takes at most ${geminiMaxStopSequences} stop sequences; the rest were left out`);
    stops = stops.slice(0, geminiMaxStopSequences);
  }
  if (stops.length > 0) config.stopSequences = stops;
  if (chat.presence_penalty != null) config.presencePenalty = chat.presence_penalty;
  if (chat.frequency_penalty != null) config.frequencyPenalty = chat.frequency_penalty;
  if (chat.seed != null) config.seed = chat.seed;
  const format = chat.response_format;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema' && format.json_schema.schema !== undefined) {
      config.responseJsonSchema = format.json_schema.schema;
    }
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  if (chat.safety_identifier != null || chat.user !== undefined) {
    warn('user: gemini has no end-user identifier; left out');
  }

  const plan = planTools(chat, warn);
  if (plan.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: plan.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          ...(tool.parameters === undefined ? {} : { parametersJsonSchema: tool.parameters }),
        })),
      },
    ];
    if (plan.tools.some((tool) => tool.strict === true)) {
      warn('tools[].function.strict: gemini does not guarantee that tool arguments match their schema');
    }
    if (!plan.parallel) warn('parallel_tool_calls=false: gemini cannot be limited to one tool call per answer; ignored');
    if (plan.choice !== undefined) {
      body.toolConfig = {
        functionCallingConfig:
          plan.choice.mode === 'named'
            ? { mode: 'ANY', allowedFunctionNames: [plan.choice.name] }
            : { mode: plan.choice.mode === 'required' ? 'ANY' : plan.choice.mode.toUpperCase() },
      };
    }
  }
  return { body, warnings };
}

function userParts(part: UserPart, where: string, warn: (warning: string) => void): Part[] {
  switch (part.type) {
    case 'text':
      return [{ text: part.text }];
    case 'image_url': {
      const { url, detail } = part.image_url;
      if (detail === 'low' || detail === 'high') warn(`image_url.detail=${detail}: gemini has no per-image detail setting; ignored`);
      if (isDataUrl(url)) return [{ inlineData: inline(url, `${where}.image_url.url`) }];
      const mimeType = mimeTypeOfUrl(url);
      return [{ fileData: { ...(mimeType === undefined ? {} : { mimeType }), fileUri: url } }];
    }
    case 'input_audio':
      return [{ inlineData: { mimeType: audioMimeType(part.input_audio.format), data: part.input_audio.data } }];
    case 'file': {
      const { file_data: data, file_id: fileId } = part.file;
      if (data === undefined) {
        warn(`${where}: file_id ${fileId ?? '(none)'} names a file stored at OpenAI, which gemini cannot read; left out`);
        return [];
      }
      return [{ inlineData: inline(data, `${where}.file.file_data`) }];
    }
  }
}

function inline(url: string, where: string): JsonObject {
  const { mimeType, data } = parseDataUrl(url, where);
  return { mimeType, data };
}

/** Gemini wants a function's result as an object: a JSON object result as is, anything else under `content`. */
function functionResponse(text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // Plain text.
  }
  return { content: text };
}

function thoughtSignatureOf(call: OpenAiToolCall): string | undefined {
  const extra = (call as { extra_content?: { google?: { thought_signature?: unknown } } }).extra_content;
  const signature = extra?.google?.thought_signature;
  return typeof signature === 'string' && signature !== '' ? signature : undefined;
}
