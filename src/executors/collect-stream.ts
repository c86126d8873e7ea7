import type { ExecuteResult, StreamPart } from './types.ts';
import { ProviderError } from './errors.ts';

/**
 * Consumes an executeStream iterable: resolves with the `done` part's result, or throws the
 * `error` part's ProviderError. A stream that ends with neither throws a `network` error.
 */
export async function collectStream(parts: AsyncIterable<StreamPart>, provider = 'unknown'): Promise<ExecuteResult> {
  for await (const part of parts) {
    if (part.type === 'done') return part.result;
    if (part.type === 'error') throw part.error;
  }
  throw new ProviderError({
    kind: 'network',
    provider,
    message: `${provider}: the stream ended without a result or an error`,
  });
}
