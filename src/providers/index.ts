/**
 * The one list of providers. Adding a provider: a folder `src/providers/<name>/` whose
 * `index.ts` exports a `ProviderModule`, and one line here (docs/architecture.md).
 */
import { anthropic } from './anthropic/index.ts';
import { azureOpenAI } from './azure-openai/index.ts';
import { bedrock } from './bedrock/index.ts';
import { gemini } from './gemini/index.ts';
import { openai } from './openai/index.ts';
import type { Executor, ExecutorContext } from '../executors/types.ts';
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

/** The executors of a worker, one per provider in the list. */
export interface Executors {
  /** The executor for a provider; throws a NoExecutorError when relayq has none for it. */
  get(provider: string): Executor;
  has(provider: string): boolean;
  /** Providers with an executor, in list order. */
  providers(): ProviderName[];
}

/** The error for a provider id no executor serves; it names the ones that exist. */
export class NoExecutorError extends Error {
  readonly provider: string;

  constructor(provider: string, available: readonly string[]) {
    super(
      `no executor for provider "${provider}"; executors exist for: ` +
        (available.length > 0 ? available.join(', ') : '(none)'),
    );
    this.name = 'NoExecutorError';
    this.provider = provider;
  }
}

/** One executor per provider module, made by the module, sharing one context. */
export function createExecutors(context: ExecutorContext): Executors {
  const executors = new Map<string, Executor>(providers.map((provider) => [provider.id, provider.createExecutor(context)]));
  return {
    get(provider) {
      const executor = executors.get(provider);
      if (executor === undefined) throw new NoExecutorError(provider, [...executors.keys()]);
      return executor;
    },
    has: (provider) => executors.has(provider),
    providers: () => [...providerNames],
  };
}

export type { BodyDialect, ProviderModule } from './types.ts';
