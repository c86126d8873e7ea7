/**
 * Whether the providers a batch needs have an account that can take calls now, as the
 * providers' executors answer it (`getAvailableAccountsCount`, from the scheduler's shared
 * account state), with the reason in words when none can. For `submit --dry-run`, `status` and
 * `accounts list`.
 */
import { createAvailabilityReader, unavailableMessage } from '../accounts/availability.ts';
import type { OperationDeps } from './deps.ts';

/** One provider (and model) a command asks about. */
export interface ProviderWanted {
  provider: string;
  model?: string;
}

export interface ProviderAvailabilityNote {
  provider: string;
  model: string | null;
  /** Accounts that can take a call now. */
  available_accounts: number;
  /** Why none can ("no available anthropic account: acct-1 disabled (auth), ..."); null when one can. */
  unavailable: string | null;
}

/** The availability of each provider/model asked about, in the order asked, each pair once. */
export async function providerAvailability(
  runtime: Pick<OperationDeps, 'config' | 'redis' | 'keys'>,
  wanted: readonly ProviderWanted[],
): Promise<ProviderAvailabilityNote[]> {
  const { providerModule, providerNames } = await import('../providers/index.ts');
  const known: ReadonlySet<string> = new Set(providerNames);
  const accounts = () => runtime.config.accounts;
  const availability = createAvailabilityReader(runtime.redis, runtime.keys, accounts);
  const notes: ProviderAvailabilityNote[] = [];
  const seen = new Set<string>();
  for (const { provider, model } of wanted) {
    const key = `${provider}|${model ?? ''}`;
    if (seen.has(key) || !known.has(provider)) continue;
    seen.add(key);
    const executor = providerModule(provider).createExecutor({ accounts, availability });
    const count = await executor.getAvailableAccountsCount(model);
    const unavailable = count > 0 ? null : unavailableMessage(await availability.read(executor.provider, model));
    notes.push({ provider, model: model ?? null, available_accounts: count, unavailable });
  }
  return notes;
}

/** The human lines for the notes of providers without an available account, each after `label`. */
export function unavailableLines(notes: readonly ProviderAvailabilityNote[], label: string): string[] {
  return notes.flatMap((note) => (note.unavailable === null ? [] : [`${label}${note.unavailable}`]));
}
