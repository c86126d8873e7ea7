/**
 * A Vertex call with Application Default Credentials, from a process of its own whose
 * GOOGLE_APPLICATION_CREDENTIALS the test set (a service account key file), connecting to
 * loopback addresses only. Usage: adc-call.ts SIMULATOR_URL; prints `{"text"}` or `{"error"}`.
 */
import '../../helpers/loopback-only.ts';
import { accountSchema } from '../../../src/config/schema.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { GeminiExecutor } from '../../../src/providers/gemini/executor.ts';

const [url] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: adc-call.ts SIMULATOR_URL');
const account = accountSchema.parse({
  id: 'vertex-adc',
  provider: 'gemini',
  baseUrl: `${url}/v1/projects/p/locations/us-central1/publishers/google`,
  googleAuth: { adc: true, tokenUrl: `${url}/token` },
});
try {
  const result = await new GeminiExecutor({ accounts: () => [] }).execute(
    { provider: 'gemini', model: 'gemini-2.5-flash', body: { contents: [{ role: 'user', parts: [{ text: 'through ADC' }] }] } },
    {},
    account,
  );
  process.stdout.write(`${JSON.stringify({ text: result.text })}\n`);
} catch (error) {
  if (!(error instanceof ProviderError)) throw error;
  process.stdout.write(`${JSON.stringify({ error: { kind: error.kind, message: error.message } })}\n`);
} finally {
  await closeDispatchers();
}
