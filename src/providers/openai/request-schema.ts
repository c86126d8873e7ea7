/**
 * What an OpenAI request body must hold before it is worth sending (checked on every input line
 * at submit time): a Chat Completions body (`messages`) or a Responses body (`input`). Only the
 * fields that decide whether the API would refuse the request are checked; the rest passes
 * through.
 */
import { z } from 'zod';

export const openaiChatRoles = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

const optionalPositiveInt = z.number().int().positive().optional();

export const openaiChatBodySchema = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(openaiChatRoles),
        content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
      }),
    )
    .min(1, 'must hold at least one message'),
  max_tokens: optionalPositiveInt,
  max_completion_tokens: optionalPositiveInt,
  n: optionalPositiveInt,
});

export const openaiResponsesBodySchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1, 'must not be empty'), z.array(z.looseObject({})).min(1, 'must hold at least one item')]),
  max_output_tokens: optionalPositiveInt,
});

/** An Embeddings body: the model and the text (or texts, or token arrays) to embed. */
export const openaiEmbeddingsBodySchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())]),
});

/**
 * A Chat Completions or a Responses body, told apart by `messages` / `input`. Issues carry the
 * paths of the schema that applies, so a line report says which field is wrong.
 */
export const openaiRequestBodySchema = z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
  const schema = 'messages' in body ? openaiChatBodySchema : 'input' in body ? openaiResponsesBodySchema : undefined;
  if (schema === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'needs "messages" (Chat Completions) or "input" (Responses)',
      path: [],
    });
    return;
  }
  const checked = schema.safeParse(body);
  if (checked.success) return;
  for (const issue of checked.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
});

/** The API paths a line may name for OpenAI's wire format, and the body each takes. */
export const openaiEndpointBodySchemas: Readonly<Record<string, z.ZodType>> = {
  '/v1/chat/completions': openaiChatBodySchema,
  '/v1/responses': openaiResponsesBodySchema,
  '/v1/embeddings': openaiEmbeddingsBodySchema,
};
