/**
 * One Anthropic call from a process of its own, for the proxy-environment tests: the
 * environment (HTTPS_PROXY, NODE_EXTRA_CA_CERTS, ...) is what the test gave this process.
 * Usage: env-proxy-call.ts BASE_URL [PROXY]; prints `{"text": ...}` or `{"error": {kind, message}}`.
 */
import { closeDispatchers } from '../../src/http/dispatchers.ts';
import { isProviderError } from '../../src/executors/errors.ts';
import { executor, promptRequest, testAccount } from './anthropic-client.ts';

const [baseUrl, proxy] = process.argv.slice(2);
if (baseUrl === undefined) throw new Error('usage: env-proxy-call.ts BASE_URL [PROXY]');
try {
  const result = await executor.execute(
    promptRequest('through the proxy of the environment'),
    {},
    testAccount({ baseUrl, ...(proxy === undefined ? {} : { proxy }) }),
  );
  process.stdout.write(`${JSON.stringify({ text: result.text })}\n`);
} catch (error) {
  if (!isProviderError(error)) throw error;
  process.stdout.write(`${JSON.stringify({ error: { kind: error.kind, message: error.message } })}\n`);
} finally {
  await closeDispatchers();
}
