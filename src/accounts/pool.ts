import type { Account, ProviderName } from '../config/schema.ts';
import { modelMatches } from './routing.ts';

/**
 * The accounts a worker may use. Choice is first-fit by priority (higher first) over enabled
 * accounts that serve the provider and model; rate-limit-aware scheduling replaces it.
 */
export class AccountPool {
  private readonly list: Account[];

  constructor(accounts: readonly Account[]) {
    this.list = [...accounts].sort((a, b) => b.priority - a.priority);
  }

  all(): readonly Account[] {
    return this.list;
  }

  enabledFor(provider: ProviderName): Account[] {
    return this.list.filter((account) => account.enabled && account.provider === provider);
  }

  pick(provider: ProviderName, model: string): Account | undefined {
    return this.list.find(
      (account) => account.enabled && account.provider === provider && modelMatches(account.models, model),
    );
  }
}
