/**
 * What the proxy, timeout and cancellation tests share: an Anthropic executor, accounts built
 * through the config schema, prompts, and helpers to get a ProviderError out of either call.
 */
import { createServer, type AddressInfo } from 'node:net';
import { accountSchema, type Account } from '../../src/config/schema.ts';
import { collectStream } from '../../src/executors/collect-stream.ts';
import { isProviderError, type ProviderError } from '../../src/executors/errors.ts';
import type { ExecuteOptions, ExecuteRequest, ExecuteResult } from '../../src/executors/types.ts';
import { AnthropicExecutor } from '../../src/providers/anthropic/executor.ts';

export const executor = new AnthropicExecutor({ accounts: () => [] });

export interface TestAccountOptions {
  id?: string;
  baseUrl: string;
  apiKey?: string;
  proxy?: string;
  timeouts?: { connectMs?: number; firstByteMs?: number; idleMs?: number };
}

export function testAccount(options: TestAccountOptions): Account {
  return accountSchema.parse({
    id: options.id ?? 'acct-http',
    provider: 'anthropic',
    baseUrl: options.baseUrl,
    apiKey: options.apiKey ?? 'sk-ant-http-test',
    ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
    timeouts: { connectMs: 5000, firstByteMs: 5000, idleMs: 5000, ...options.timeouts },
  });
}

export function promptRequest(prompt: string): ExecuteRequest {
  return {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    body: { model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: prompt }] },
  };
}

export type CallMode = 'execute' | 'executeStream';

/** One call, as execute or as executeStream collected into the same result. */
export function call(mode: CallMode, request: ExecuteRequest, account: Account, options: ExecuteOptions = {}): Promise<ExecuteResult> {
  return mode === 'execute'
    ? executor.execute(request, options, account)
    : collectStream(executor.executeStream(request, options, account), 'anthropic');
}

/** The ProviderError a call fails with; fails the test when it succeeds or throws anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail with a ProviderError, and it succeeded');
}

/** A loopback port nothing listens on (bound once, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Lets undici put a finished connection back into its pool: it waits one full event-loop turn
 * (a setImmediate) before reusing a keep-alive socket, so a request sent right after the previous
 * one's body would open a second connection.
 */
export function connectionReturned(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
