/**
 * zod schemas for what Bedrock sends around the Anthropic payloads: error bodies, the payload of
 * a `chunk` event, and the payload of an exception event. The message and stream events inside
 * are Anthropic's own (../anthropic/schemas.ts).
 */
import { z } from 'zod';

/**
 * An error body: `{message}` (some front-door errors spell it `Message`), sometimes `__type`,
 * and for model errors `originalStatusCode` / `originalMessage` from the model behind Bedrock.
 */
export const bedrockErrorBodySchema = z.looseObject({
  message: z.string().optional(),
  Message: z.string().optional(),
  __type: z.string().optional(),
  originalStatusCode: z.number().int().optional(),
  originalMessage: z.string().optional(),
});
export type BedrockErrorBody = z.infer<typeof bedrockErrorBodySchema>;

/** A `chunk` event's payload: one Anthropic stream event, JSON, base64-encoded. */
export const bedrockChunkPayloadSchema = z.looseObject({ bytes: z.string() });
export type BedrockChunkPayload = z.infer<typeof bedrockChunkPayloadSchema>;
