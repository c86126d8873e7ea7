/**
 * zod schema of an OpenAI Chat Completions request body, the shape prompt files use as their
 * common format. Objects are loose: a field OpenAI adds later still passes through untouched to
 * OpenAI and Azure, and translation to other providers warns about fields it does not know.
 */
import { z } from 'zod';

const nullish = <T extends z.ZodType>(schema: T) => schema.nullish();

export const textPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });

export const imagePartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({
    /** An http(s) URL or a `data:<mime>;base64,<data>` URL. */
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});

export const audioPartSchema = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string().min(1), format: z.string().min(1) }),
});

export const filePartSchema = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({
    /** A `data:<mime>;base64,<data>` URL. */
    file_data: z.string().optional(),
    file_id: z.string().optional(),
    filename: z.string().optional(),
  }),
});

export const refusalPartSchema = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

export const userPartSchema = z.discriminatedUnion('type', [textPartSchema, imagePartSchema, audioPartSchema, filePartSchema]);
export type UserPart = z.infer<typeof userPartSchema>;

const textContentSchema = z.union([z.string(), z.array(textPartSchema)]);

export const toolCallSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});
export type OpenAiToolCall = z.infer<typeof toolCallSchema>;

export const systemMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer']),
  content: textContentSchema,
  name: z.string().optional(),
});

export const userMessageSchema = z.looseObject({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(userPartSchema)]),
  name: z.string().optional(),
});

export const assistantMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  content: nullish(z.union([z.string(), z.array(z.discriminatedUnion('type', [textPartSchema, refusalPartSchema]))])),
  tool_calls: z.array(toolCallSchema).optional(),
  refusal: z.string().nullish(),
  name: z.string().optional(),
  /** The deprecated functions API; not translated. */
  function_call: z.unknown().optional(),
  audio: z.unknown().optional(),
});

export const toolMessageSchema = z.looseObject({
  role: z.literal('tool'),
  tool_call_id: z.string().min(1),
  content: textContentSchema,
});

/** The deprecated functions API's result message; accepted for OpenAI, not translated. */
export const functionMessageSchema = z.looseObject({
  role: z.literal('function'),
  name: z.string(),
  content: z.string().nullable(),
});

export const chatMessageSchema = z.discriminatedUnion('role', [
  systemMessageSchema,
  userMessageSchema,
  assistantMessageSchema,
  toolMessageSchema,
  functionMessageSchema,
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const functionToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type FunctionTool = z.infer<typeof functionToolSchema>;

/** `function` tools are translated; `custom` (free-text) tools only run on OpenAI. */
export const toolSchema = z.union([functionToolSchema, z.looseObject({ type: z.literal('custom') })]);

const namedFunctionSchema = z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) });

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  namedFunctionSchema,
  z.looseObject({
    type: z.literal('allowed_tools'),
    allowed_tools: z.looseObject({
      mode: z.enum(['auto', 'required']),
      tools: z.array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).optional() })),
    }),
  }),
  z.looseObject({ type: z.literal('custom') }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const openAiChatBodySchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1, 'at least one message is required'),
  max_completion_tokens: nullish(z.number().int().positive()),
  max_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  stop: nullish(z.union([z.string(), z.array(z.string())])),
  n: nullish(z.number().int().positive()),
  seed: nullish(z.number().int()),
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(z.number().int().min(0).max(20)),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  logit_bias: nullish(z.record(z.string(), z.number())),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormatSchema.optional(),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.looseObject({})),
  user: z.string().optional(),
  safety_identifier: nullish(z.string()),
  reasoning_effort: nullish(z.string()),
});
export type OpenAiChatBody = z.infer<typeof openAiChatBodySchema>;

/**
 * Top-level fields translation knows. Any other field set on a body bound for a non-OpenAI
 * provider gets a warning.
 */
export const knownChatFields: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'max_completion_tokens',
  'max_tokens',
  'temperature',
  'top_p',
  'stop',
  'n',
  'seed',
  'logprobs',
  'top_logprobs',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'stream',
  'stream_options',
  'user',
  'safety_identifier',
  'reasoning_effort',
]);

/** The text of string-or-text-parts content, parts joined with "\n". */
export function textOf(content: string | readonly { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}
