/**
 * The accounts as every worker sees them (`relayq accounts list --json`, `GET /api/accounts`),
 * and turning one on or off for all workers (`relayq accounts enable|disable`,
 * `POST /api/accounts/{id}/enable|disable`).
 */
import { readBindings, type Binding } from '../accounts/bindings.ts';
import { knownAccountIds, readAccountStates, recentAccountErrors, setAccountEnabled, type AccountState } from '../accounts/state.ts';
import { waitingPools, type WaitingPool } from '../scheduler/waiting.ts';
import { providerAvailability, type ProviderAvailabilityNote } from './availability.ts';
import type { OperationDeps } from './deps.ts';

type AccountDeps = Pick<OperationDeps, 'config' | 'redis' | 'keys'>;

export interface AccountView extends AccountState {
  /** Whether this config names the account (else a worker with another config registered it). */
  inConfig: boolean;
  recentErrors: Awaited<ReturnType<typeof recentAccountErrors>>;
}

export interface AccountsOverview {
  accounts: AccountView[];
  /** Prompts parked for want of capacity, by pool. */
  waiting: WaitingPool[];
  /** Dedicated accounts, `batch:<id>` / `tenant:<name>` -> binding. */
  bindings: Record<string, Binding>;
  availability: ProviderAvailabilityNote[];
}

export async function accountsOverview(deps: AccountDeps): Promise<AccountsOverview> {
  const configured = deps.config.accounts.map((account) => account.id);
  const ids = [...new Set([...configured, ...(await knownAccountIds(deps.redis, deps.keys))])];
  const states = await readAccountStates(deps.redis, deps.keys, ids);
  // Accounts no worker registered yet: the config alone says what they are.
  for (const state of states) {
    const account = deps.config.accounts.find((candidate) => candidate.id === state.id);
    if (account === undefined) continue;
    state.provider ??= account.provider;
    state.group ??= account.group ?? null;
    if (
      state.configured.rpm === null &&
      state.configured.inputTpm === null &&
      state.configured.outputTpm === null &&
      state.configured.concurrency === null
    ) {
      state.configured = {
        ...state.configured,
        rpm: account.limits.rpm ?? null,
        inputTpm: account.limits.inputTpm ?? null,
        outputTpm: account.limits.outputTpm ?? null,
        concurrency: account.limits.concurrency ?? null,
      };
    }
  }
  const waiting = await waitingPools(deps.redis, deps.keys);
  // Every provider with an account here or prompts waiting for one: can any account take calls now?
  const wanted = [...deps.config.accounts, ...states, ...waiting].flatMap((item) => (item.provider ? [{ provider: item.provider }] : []));
  const availability = await providerAvailability(deps, wanted);
  const errors = await Promise.all(states.map((state) => recentAccountErrors(deps.redis, deps.keys, state.id, 5)));
  const bindings = Object.fromEntries(await readBindings(deps.redis, deps.keys));
  const accounts = states.map((state, index) => ({
    ...state,
    inConfig: configured.includes(state.id),
    recentErrors: errors[index] ?? [],
  }));
  return { accounts, waiting, bindings, availability };
}

/** Whether the config names the account or a worker registered it. */
export async function accountExists(deps: AccountDeps, id: string): Promise<boolean> {
  if (deps.config.accounts.some((account) => account.id === id)) return true;
  return (await deps.redis.sismember(deps.keys.accountIds(), id)) === 1;
}

/** Enables or disables the account for every worker; false (nothing done) when there is no such account. */
export async function setAccountEnabledIfKnown(deps: AccountDeps, id: string, enabled: boolean, reason?: string): Promise<boolean> {
  if (!(await accountExists(deps, id))) return false;
  await setAccountEnabled(deps.redis, deps.keys, id, enabled, reason);
  return true;
}
