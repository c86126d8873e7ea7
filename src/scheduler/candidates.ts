/**
 * Which accounts may serve a prompt, best first: the accounts bound to its batch or tenant
 * (dedicated accounts), then the pool of accounts that serve its provider and model, each part
 * by priority. Accounts disabled in the config stay candidates, since an operator can enable
 * them at run time; the scheduler skips them while they are disabled.
 *
 * The candidate list also names the prompt's scheduling pool: prompts with the same candidates
 * wait in the same line.
 */
import { createHash } from 'node:crypto';
import type { Account, ProviderName } from '../config/schema.ts';
import type { Binding } from '../accounts/bindings.ts';
import { modelMatches } from '../accounts/routing.ts';

export interface Candidate {
  account: Account;
  /** Higher is tried first: dedicated accounts outrank the pool, then priority. */
  rank: number;
}

export interface CandidateSet {
  /** Identifies the pool: a short hash of the candidates and their ranks. */
  key: string;
  provider: ProviderName;
  candidates: readonly Candidate[];
}

/** Dedicated accounts outrank any priority. */
const dedicatedRank = 1e9;

/** Why a prompt has no candidate at all, phrased for its error result. */
export class NoCandidateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoCandidateError';
  }
}

/** Builds candidate sets and remembers them per (provider, model, binding). */
export class CandidateResolver {
  private readonly cache = new Map<string, CandidateSet | NoCandidateError>();

  constructor(private readonly accounts: readonly Account[]) {}

  resolve(provider: ProviderName, model: string, binding: Binding | null, bindingName: string | null): CandidateSet {
    const cacheKey = `${provider}\u0000${model}\u0000${binding === null ? '' : JSON.stringify(binding)}`;
    let found = this.cache.get(cacheKey);
    if (found === undefined) {
      found = build(this.accounts, provider, model, binding, bindingName);
      if (this.cache.size > 5_000) this.cache.clear();
      this.cache.set(cacheKey, found);
    }
    if (found instanceof NoCandidateError) throw found;
    return found;
  }
}

function build(
  accounts: readonly Account[],
  provider: ProviderName,
  model: string,
  binding: Binding | null,
  bindingName: string | null,
): CandidateSet | NoCandidateError {
  const serving = accounts.filter((account) => account.provider === provider && modelMatches(account.models, model));
  const byPriority = (a: Candidate, b: Candidate): number => b.rank - a.rank;
  let candidates: Candidate[];
  if (binding === null) {
    candidates = serving.map((account) => ({ account, rank: account.priority })).sort(byPriority);
  } else {
    const bound = (account: Account): boolean =>
      binding.accounts.includes(account.id) || (account.group !== undefined && binding.groups.includes(account.group));
    const dedicated = serving.filter(bound).map((account) => ({ account, rank: dedicatedRank + account.priority }));
    const rest = binding.exclusive
      ? []
      : serving.filter((account) => !bound(account)).map((account) => ({ account, rank: account.priority }));
    candidates = [...dedicated, ...rest].sort(byPriority);
    if (candidates.length === 0 && binding.exclusive) {
      const names = [...binding.accounts, ...binding.groups.map((group) => `group ${group}`)].join(', ');
      return new NoCandidateError(
        `${bindingName ?? 'this batch'} is bound to ${names}, but none of them serves provider "${provider}" and model "${model}"; ` +
          'bind it to other accounts (relayq accounts bind) or add the model to their models list',
      );
    }
  }
  if (candidates.length === 0) {
    return new NoCandidateError(
      `no account serves provider "${provider}" and model "${model}"; add one to the config (accounts[].provider, accounts[].models)`,
    );
  }
  const key = createHash('sha1')
    .update(candidates.map((candidate) => `${candidate.account.id}:${candidate.rank}`).join(','))
    .digest('hex')
    .slice(0, 16);
  return { key, provider, candidates };
}
