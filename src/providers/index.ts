/**
 * The one list of providers. Adding a provider: a folder `src/providers/<name>/` whose
 * `index.ts` exports a `ProviderModule`, and one line here (docs/architecture.md).
 */
import { anthropic } from './anthropic/index.ts';
import { azureOpenAI } from './azure-openai/index.ts';
import { bedrock } from './bedrock/index.ts';
import { gemini } from './gemini/index.ts';
import { openai } from './openai/index.ts';
import type { ProviderModule } from './types.ts';

export const providers = [anthropic, openai, gemini, azureOpenAI, bedrock] as const;

export type ProviderName = (typeof providers)[number]['id'];

/** Provider ids in list order. */
export const providerNames = providers.map((provider) => provider.id) as [ProviderName, ...ProviderName[]];

const byId = new Map<string, ProviderModule<ProviderName>>(providers.map((provider) => [provider.id, provider]));

/** The module of a provider id; throws for an id no module has. */
export function providerModule(id: string): ProviderModule<ProviderName> {
  const found = byId.get(id);
  if (found === undefined) throw new Error(`unknown provider "${id}"; relayq knows: ${providerNames.join(', ')}`);
  return found;
}

export type { BodyDialect, ProviderModule } from './types.ts';
