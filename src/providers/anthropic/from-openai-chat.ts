/**
 * OpenAI Chat Completions body → Anthropic Messages body. Other providers serving Claude with
 * the Messages body (Bedrock) run the same translation with their own options.
 */
import type { JsonObject } from '../../executors/types.ts';
import { isDataUrl, parseDataUrl } from '../shared/openai-chat/media.ts';
import { textOf, type ChatMessage, type OpenAiChatBody, type UserPart } from '../shared/openai-chat/schema.ts';
import { unsupportedSettingWarnings } from '../shared/openai-chat/settings.ts';
import { deprecatedFunctionsMessage, parseToolArguments, planTools } from '../shared/openai-chat/tools.ts';
import { TranslationError, warningList, type Translation } from '../shared/openai-chat/translation.ts';

/** Where a Messages-body target differs from Anthropic's own API. */
export interface AnthropicTranslationOptions {
  /** The target's name in warnings (its provider id); default `anthropic`. */
  target?: string;
  /** Whether the target fetches images by URL; when not, image URLs are left out with a warning. Default true. */
  imageUrls?: boolean;
}

/** The options with their defaults filled in. */
interface Target {
  name: string;
  imageUrls: boolean;
}

/** max_tokens when the body sets neither max_completion_tokens nor max_tokens (Anthropic requires one). */
export const defaultAnthropicMaxTokens = 4096;

/** Appended to the system prompt for `response_format: json_object`, which Anthropic has no switch for. */
export const jsonObjectInstruction = 'Answer with one valid JSON object and nothing else.';

type Block = { type: string } & JsonObject;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | Block[];
}

export function openAiChatToAnthropic(chat: OpenAiChatBody, model: string, options: AnthropicTranslationOptions = {}): Translation {
  const spec: Target = { name: options.target ?? 'anthropic', imageUrls: options.imageUrls ?? true };
  const target = spec.name;
  const { warnings, warn } = warningList(unsupportedSettingWarnings(chat, target, { seed: false, penalties: false }));
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  let conversationStarted = false;

  const append = (role: AnthropicMessage['role'], blocks: Block[]) => {
    const last = messages[messages.length - 1];
    // Anthropic wants the turns to alternate; consecutive messages of one role become one.
    if (last !== undefined && last.role === role) last.content = [...asBlocks(last.content), ...blocks];
    else messages.push({ role, content: blocks });
  };

  chat.messages.forEach((message: ChatMessage, index) => {
    const where = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        if (conversationStarted) {
          warn(
            `${where}: ${target} takes system instructions only before the conversation; this ${message.role} message was moved into the system prompt`,
          );
        }
        system.push(textOf(message.content));
        return;
      case 'user': {
        conversationStarted = true;
        if (message.name !== undefined) warn(`messages[].name: ${target} has no participant names; left out`);
        const blocks =
          typeof message.content === 'string'
            ? [{ type: 'text', text: message.content }]
            : message.content.flatMap((part, partIndex) => userPartBlocks(part, `${where}.content[${partIndex}]`, spec, warn));
        if (blocks.length === 0) {
          throw new TranslationError(`${where}: nothing left to send to ${target} once the parts it cannot take were left out`);
        }
        append('user', blocks);
        return;
      }
      case 'assistant': {
        conversationStarted = true;
        const blocks = assistantBlocks(message, where, target, warn);
        if (blocks.length === 0) warn(`${where}: an assistant message without content or tool calls was left out`);
        else append('assistant', blocks);
        return;
      }
      case 'tool':
        conversationStarted = true;
        append('user', [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id,
            content:
              typeof message.content === 'string' ? message.content : message.content.map((part) => ({ type: 'text', text: part.text })),
          },
        ]);
        return;
      case 'function':
        throw new TranslationError(deprecatedFunctionsMessage(where));
    }
  });

  const body: JsonObject = {
    model,
    max_tokens: chat.max_completion_tokens ?? chat.max_tokens ?? defaultAnthropicMaxTokens,
    messages: messages.map(compact),
  };

  const format = chat.response_format;
  if (format?.type === 'json_schema' && format.json_schema.schema !== undefined) {
    body.output_config = { format: { type: 'json_schema', schema: format.json_schema.schema } };
  } else if (format?.type === 'json_object' || format?.type === 'json_schema') {
    system.push(jsonObjectInstruction);
    warn(`response_format ${format.type}: ${target} has no JSON mode without a schema; the system prompt asks for JSON instead`);
  }
  if (system.length > 0) body.system = system.join('\n\n');

  if (chat.temperature != null) {
    if (chat.temperature > 1) warn(`temperature=${chat.temperature}: ${target} accepts at most 1; sent as 1`);
    body.temperature = Math.min(1, chat.temperature);
  }
  // top_p 1 is the default; newer Claude models refuse temperature and top_p together.
  if (chat.top_p != null && chat.top_p !== 1) body.top_p = chat.top_p;
  const stops = chat.stop == null ? [] : typeof chat.stop === 'string' ? [chat.stop] : chat.stop;
  if (stops.length > 0) body.stop_sequences = stops;
  const user = chat.safety_identifier ?? chat.user;
  if (user != null) body.metadata = { user_id: user };

  const plan = planTools(chat, warn);
  if (plan.tools.length > 0) {
    body.tools = plan.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: tool.parameters ?? { type: 'object', properties: {} },
      ...(tool.strict === true ? { strict: true } : {}),
    }));
    const choice: JsonObject | undefined =
      plan.choice === undefined
        ? undefined
        : plan.choice.mode === 'named'
          ? { type: 'tool', name: plan.choice.name }
          : { type: plan.choice.mode === 'required' ? 'any' : plan.choice.mode };
    if (!plan.parallel && choice?.type !== 'none') {
      body.tool_choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
    } else if (choice !== undefined) {
      body.tool_choice = choice;
    }
  }
  return { body, warnings };
}

function userPartBlocks(part: UserPart, where: string, spec: Target, warn: (warning: string) => void): Block[] {
  const target = spec.name;
  switch (part.type) {
    case 'text':
      return [{ type: 'text', text: part.text }];
    case 'image_url': {
      const { url, detail } = part.image_url;
      if (detail === 'low' || detail === 'high') warn(`image_url.detail=${detail}: ${target} has no image detail setting; ignored`);
      if (isDataUrl(url)) {
        const inline = parseDataUrl(url, `${where}.image_url.url`);
        return [{ type: 'image', source: { type: 'base64', media_type: inline.mimeType, data: inline.data } }];
      }
      if (!spec.imageUrls) {
        warn(`${where}: ${target} takes images only as base64 data URLs; the image at ${shortUrl(url)} was left out`);
        return [];
      }
      return [{ type: 'image', source: { type: 'url', url } }];
    }
    case 'file': {
      const { file_data: data, file_id: fileId, filename } = part.file;
      if (data === undefined) {
        warn(`${where}: file_id ${fileId ?? '(none)'} names a file stored at OpenAI, which ${target} cannot read; left out`);
        return [];
      }
      const inline = parseDataUrl(data, `${where}.file.file_data`);
      const title = filename === undefined ? {} : { title: filename };
      if (inline.mimeType === 'application/pdf') {
        return [{ type: 'document', source: { type: 'base64', media_type: inline.mimeType, data: inline.data }, ...title }];
      }
      if (inline.mimeType === 'text/plain') {
        const text = Buffer.from(inline.data, 'base64').toString('utf8');
        return [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, ...title }];
      }
      warn(`${where}: ${target} takes PDF and plain-text files only; the ${inline.mimeType} file was left out`);
      return [];
    }
    case 'input_audio':
      warn(`${where}: ${target} takes no audio input; the audio was left out`);
      return [];
  }
}

function assistantBlocks(
  message: Extract<ChatMessage, { role: 'assistant' }>,
  where: string,
  target: string,
  warn: (warning: string) => void,
): Block[] {
  if (message.function_call != null) throw new TranslationError(deprecatedFunctionsMessage(where));
  if (message.name !== undefined) warn(`messages[].name: ${target} has no participant names; left out`);
  if (message.audio != null) warn(`${where}: an earlier audio answer cannot be sent to ${target}; left out`);
  const blocks: Block[] = [];
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') blocks.push({ type: 'text', text: content });
  } else if (content != null) {
    for (const part of content) {
      const text = part.type === 'text' ? part.text : part.refusal;
      if (text !== '') blocks.push({ type: 'text', text });
    }
  }
  if (blocks.length === 0 && message.refusal != null && message.refusal !== '') {
    blocks.push({ type: 'text', text: message.refusal });
  }
  (message.tool_calls ?? []).forEach((call, callIndex) => {
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseToolArguments(call.function.arguments, `${where}.tool_calls[${callIndex}].function`),
    });
  });
  return blocks;
}

function asBlocks(content: string | Block[]): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** A message of one plain text block is sent as a string, the way people write them. */
function compact(message: AnthropicMessage): AnthropicMessage {
  const [only] = message.content;
  if (message.content.length === 1 && typeof only === 'object' && only.type === 'text' && Object.keys(only).length === 2) {
    return { role: message.role, content: only.text as string };
  }
  return message;
}

function shortUrl(url: string): string {
  return url.length > 80 ? `${url.slice(0, 77)}...` : url;
}
