/**
 * The one list of providers. Adding a provider: a folder `src/providers/<name>/` whose
 * `index.ts` exports a `ProviderModule`, and one line here (docs/architecture.md).
 */
import { anthropic } from './anthropic/index.ts';
import { azureOpenAI } from './azure-openai/index.ts';
import { bedrock } from './bedrock/index.ts';
import { gemini } from './gemini/index.ts';
import { openai } from './openai/index.ts';
import type { AccountsByProvider, Executor, ExecutorContext } from '../executors/types.ts';
import type { BodyDialect, ProviderModule } from './types.ts';

export const providers = [anthropic, openai, gemini, azureOpenAI, bedrock] as const;

export type ProviderName = (typeof providers)[number]['id'];

/** Compiles only while the list's ids and the account types the executor contract names agree. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const listAndAccountsAgree: Same<ProviderName, keyof AccountsByProvider> = true;
void listAndAccountsAgree;

/** Provider ids in list order. */
export const providerNames = providers.map((provider) => provider.id) as [ProviderName, ...ProviderName[]];

const byId = new Map<string, ProviderModule<ProviderName>>(providers.map((provider) => [provider.id, provider]));

/** The module of a provider id; throws for an id no module has. */
export function providerModule(id: string): ProviderModule<ProviderName> {
  const found = byId.get(id);
  if (found === undefined) throw new Error(unknownProviderMessage(id));
  return found;
}

/** Whether a string is the id of a provider relayq has. */
export function isProviderName(id: unknown): id is ProviderName {
  return typeof id === 'string' && byId.has(id);
}

/** `unknown provider "x"; relayq knows: anthropic, openai, ...` */
export function unknownProviderMessage(id: unknown): string {
  const named = id === undefined ? 'no provider set' : `unknown provider ${JSON.stringify(id)}`;
  return `${named}; relayq knows: ${providerNames.join(', ')}`;
}

/** The module of a dialect's usual provider (the first in the list that speaks it). */
export function dialectModule(dialect: BodyDialect): ProviderModule<ProviderName> {
  const found = providers.find((provider) => provider.dialect === dialect);
  if (found === undefined) throw new Error(`no provider speaks the ${dialect} dialect`);
  return found;
}

/** The providers that take bodies of a dialect as they are, in list order (the usual one first). */
export function providersSpeaking(dialect: BodyDialect): ProviderName[] {
  return providers.filter((provider) => provider.dialect === dialect).map((provider) => provider.id);
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
    super(`no executor for provider "${provider}"; executors exist for: ${available.length > 0 ? available.join(', ') : '(none)'}`);
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

export type { BodyDefaults, BodyDialect, ProviderModule } from './types.ts';
