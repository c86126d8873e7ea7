/**
 * InvokeModel's JSON answer → ExecuteResult. For Anthropic models the body is an Anthropic
 * message, so the Anthropic mappers do the work; only the errors are Bedrock's.
 */
import type { ExecuteResult } from '../../executors/types.ts';
import { mapAnthropicMessage, type ResponseMeta } from '../anthropic/map-response.ts';
import { anthropicMessageSchema } from '../anthropic/schemas.ts';
import { bedrockMalformedResponseError } from './map-error.ts';

export function mapBedrockInvokeResponse(bodyText: string, meta: ResponseMeta & { accountId?: string }): ExecuteResult {
  const context = { statusCode: meta.statusCode, ...(meta.accountId === undefined ? {} : { accountId: meta.accountId }) };
  let json: unknown;
  try {
    json = JSON.parse(bodyText) as unknown;
  } catch (cause) {
    throw bedrockMalformedResponseError('the body is not JSON', { ...context, rawBody: bodyText.slice(0, 4096), cause });
  }
  const parsed = anthropicMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw bedrockMalformedResponseError('the body is not an Anthropic message', {
      ...context,
      rawBody: json,
      cause: parsed.error,
    });
  }
  return mapAnthropicMessage(parsed.data, { statusCode: meta.statusCode, headers: meta.headers });
}
