/**
 * Azure OpenAI calls with an Entra ID account, from a process of its own: the simulator serves
 * HTTPS (Entra's client takes https:// authorities only) with a certificate this process trusts
 * through NODE_EXTRA_CA_CERTS. Connections leave for loopback addresses only.
 * Usage: entra-call.ts SIMULATOR_URL; prints one JSON object of what each step got.
 */
import '../../helpers/loopback-only.ts';
import { accountSchema } from '../../../src/config/schema.ts';
import { ProviderError } from '../../../src/executors/errors.ts';
import { closeDispatchers } from '../../../src/http/dispatchers.ts';
import { AzureOpenAIExecutor } from '../../../src/providers/azure-openai/executor.ts';
import { localCredentialStore } from '../../../src/providers/shared/credentials.ts';

const [url] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: entra-call.ts SIMULATOR_URL');

const account = (clientSecret: string) =>
  accountSchema.parse({
    id: 'azure-entra',
    provider: 'azure-openai',
    baseUrl: url,
    entra: { tenantId: 'relayq-tenant', clientId: 'relayq-app', clientSecret, authorityHost: url },
  });
const request = (prompt: string) => ({
  provider: 'azure-openai' as const,
  model: 'gpt-4o-mini',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] },
});
const outcome = async (promise: Promise<{ text: string }>) => {
  try {
    return { text: (await promise).text };
  } catch (error) {
    if (error instanceof ProviderError) return { error: { kind: error.kind, message: error.message } };
    throw error;
  }
};

// The store believes a token is fresh for as long as this process says (its clock stands still).
const started = Date.now();
const executor = new AzureOpenAIExecutor({ accounts: () => [], credentials: localCredentialStore(() => started) });
const good = account('the-client-secret');
const first = await outcome(executor.execute(request('first entra call'), {}, good));
const second = await outcome(executor.execute(request('second entra call'), {}, good));
const stats = (await (await fetch(`${url}/_sim/tokens`)).json()) as Record<string, { tokens: { expiresAt: number }[] }>;
const expiry = Object.values(stats)[0]?.tokens[0]?.expiresAt ?? 0;
while (Date.now() <= expiry) await new Promise((resolve) => setTimeout(resolve, 50));
const afterExpiry = await outcome(executor.execute(request('after expiry'), {}, good));
const managed = accountSchema.parse({ id: 'azure-mi', provider: 'azure-openai', baseUrl: url, entra: { managedIdentity: true } });
const managedIdentity = await outcome(
  new AzureOpenAIExecutor({ accounts: () => [] }).execute(request('managed identity call'), {}, managed),
);
const badSecret = await outcome(new AzureOpenAIExecutor({ accounts: () => [] }).execute(request('x'), {}, account('a-wrong-secret')));
await closeDispatchers();
process.stdout.write(`${JSON.stringify({ first, second, afterExpiry, badSecret, managedIdentity })}\n`);
