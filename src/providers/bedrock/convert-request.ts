/**
 * An Anthropic Messages body → the body Bedrock's InvokeModel takes for Anthropic models: no
 * `model` (the URL names it) and no `stream` (the operation decides), `anthropic_version`
 * added, beta flags in `anthropic_beta` (the account's flags joined to the body's own).
 */
import type { BedrockAccount } from './account.ts';
import type { JsonObject } from '../../executors/types.ts';
import { bedrockAnthropicVersion } from './api.ts';

export function bedrockRequestBody(body: JsonObject, account: Pick<BedrockAccount, 'anthropicBeta'>): JsonObject {
  const converted: JsonObject = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === 'model' || field === 'stream') continue;
    converted[field] = value;
  }
  if (typeof converted.anthropic_version !== 'string') converted.anthropic_version = bedrockAnthropicVersion;

  const beta: string[] = [];
  for (const flag of [...(account.anthropicBeta ?? []), ...stringsOf(body.anthropic_beta)]) {
    if (!beta.includes(flag)) beta.push(flag);
  }
  if (beta.length > 0) converted.anthropic_beta = beta;
  else delete converted.anthropic_beta;
  return converted;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((flag) => flag.trim())
      .filter((flag) => flag !== '');
  if (!Array.isArray(value)) return [];
  return value.filter((flag): flag is string => typeof flag === 'string' && flag !== '');
}
