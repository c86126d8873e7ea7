/**
 * Which accounts of a provider can take a call now, read from the scheduler's shared account
 * state (the hash src/accounts/state.ts reads): an account counts when it serves the model, is
 * not disabled (by the provider refusing its key, an operator, or the config) and is not cooling
 * down. Executors answer `isAvailable` / `getAvailableAccountsCount` from it; commands use its
 * words to say why a provider has no account available.
 */
import type { Redis } from 'ioredis';
import type { Account } from '../config/schema.ts';
import type { AccountAvailability, AvailabilityReader, ProviderAvailability } from '../executors/types.ts';
import type { Keys } from '../redis/keys.ts';
import { modelMatches } from './routing.ts';
import { knownAccountIds, readAccountStates, type AccountState } from './state.ts';

export type { AccountAvailability, AvailabilityReader, ProviderAvailability };

/**
 * A reader over the state hash. The accounts asked about are the configured ones (`accounts()`,
 * whose `models` say what they serve) and those other workers registered for the provider.
 */
export function createAvailabilityReader(redis: Redis, keys: Keys, accounts: () => readonly Account[]): AvailabilityReader {
  return {
    async read(provider, model) {
      const configured = accounts().filter((account) => account.provider === provider);
      const serving = configured.filter((account) => model === undefined || modelMatches(account.models, model));
      const configuredIds = new Set(configured.map((account) => account.id));
      const elsewhere = (await knownAccountIds(redis, keys)).filter((id) => !configuredIds.has(id));
      const now = Date.now();
      const states = await readAccountStates(redis, keys, [...serving.map((account) => account.id), ...elsewhere], now);
      const byId = new Map(configured.map((account) => [account.id, account]));
      const found = states
        .filter((state) => byId.has(state.id) || state.provider === provider)
        .map((state) => judge(state, byId.get(state.id), now));
      return { provider, model: model ?? null, accounts: found, available: found.filter((account) => account.available).length };
    },
  };
}

function judge(state: AccountState, account: Account | undefined, now: number): AccountAvailability {
  // An account no worker registered yet has no config flag in Redis: its config says.
  const unregistered = state.provider === null;
  if (unregistered && account !== undefined && !account.enabled) return { id: state.id, available: false, reason: 'disabled (config)' };
  if (state.health.status === 'disabled') {
    const by = state.health.disabledBy === 'provider' ? 'auth' : (state.health.disabledBy ?? 'unknown');
    return { id: state.id, available: false, reason: `disabled (${by})` };
  }
  if (state.health.status === 'cooling_down') {
    const until = state.health.until === null ? now : Date.parse(state.health.until);
    return { id: state.id, available: false, reason: `cooling down ${Math.max(1, Math.ceil((until - now) / 1000))}s` };
  }
  return { id: state.id, available: true, reason: null };
}

/**
 * Why nothing of the provider can run, in one line ("no available anthropic account: acct-1
 * disabled (auth), acct-2 cooling down 12s"); null when some account is available.
 */
export function unavailableMessage(availability: ProviderAvailability): string | null {
  if (availability.available > 0) return null;
  const { provider, model } = availability;
  if (availability.accounts.length === 0) {
    return model === null ? `no ${provider} account configured` : `no ${provider} account serves model ${model}`;
  }
  const reasons = availability.accounts.map((account) => `${account.id} ${account.reason ?? 'unavailable'}`);
  return `no available ${provider} account: ${reasons.join(', ')}`;
}
