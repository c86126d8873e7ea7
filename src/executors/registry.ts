/**
 * Which executor serves which provider. To add a provider, add one line to `executorFactories`.
 */
import type { ProviderName } from '../config/schema.ts';
import type { Executor, ExecutorContext } from './types.ts';
import { AnthropicExecutor } from '../providers/anthropic/executor.ts';
import { GeminiExecutor } from '../providers/gemini/executor.ts';
import { BedrockExecutor } from '../providers/bedrock/executor.ts';
import { OpenAIExecutor } from '../providers/openai/executor.ts';
import { AzureOpenAIExecutor } from '../providers/azure-openai/executor.ts';

const executorFactories: Partial<Record<ProviderName, (context: ExecutorContext) => Executor>> = {
  anthropic: (context) => new AnthropicExecutor(context),
  gemini: (context) => new GeminiExecutor(context),
  bedrock: (context) => new BedrockExecutor(context),
  openai: (context) => new OpenAIExecutor(context),
  'azure-openai': (context) => new AzureOpenAIExecutor(context),
};

export interface ExecutorRegistry {
  /** The executor for a provider; throws when relayq has none for it. */
  get(provider: ProviderName): Executor;
  has(provider: ProviderName): boolean;
  /** Providers with an executor, in registration order. */
  providers(): ProviderName[];
}

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

export function createExecutorRegistry(context: ExecutorContext): ExecutorRegistry {
  const executors = new Map<ProviderName, Executor>();
  for (const [provider, create] of Object.entries(executorFactories) as [
    ProviderName,
    (context: ExecutorContext) => Executor,
  ][]) {
    executors.set(provider, create(context));
  }
  return {
    get(provider) {
      const executor = executors.get(provider);
      if (executor === undefined) throw new NoExecutorError(provider, [...executors.keys()]);
      return executor;
    },
    has: (provider) => executors.has(provider),
    providers: () => [...executors.keys()],
  };
}
