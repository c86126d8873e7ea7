/**
 * Taking capacity on an account for one call. Accounts with limits go through the atomic
 * admission script (admitAccount.lua), which sees every worker's usage, sent a small sample of
 * the pool's accounts (sampling.ts) so that its work does not grow with the account count; when
 * no candidate has a limit, the choice is made here from the cached account state, with no
 * round trip at all.
 */
import type { Redis } from 'ioredis';
import type { Account } from '../config/schema.ts';
import type { Keys } from '../redis/keys.ts';
import { withScripts } from '../redis/scripts.ts';
import type { AccountCache } from './account-cache.ts';
import type { Candidate } from './candidates.ts';
import type { CallCost } from './estimate.ts';
import { maxCallsPerAdmission, sampleCandidates, sampleSize, soonestRoom, type RoomHints } from './sampling.ts';

export type Admission =
  /** `sequence`: the account's admissions counted in Redis so far, this one included (null when admitted locally). */
  | { type: 'admitted'; account: Account; leaseId: string | null; charged: boolean; sequence: number | null }
  /**
   * No room now. `waitMs` null: the candidates are at their concurrency limit, nobody knows for how long.
   * `each`: every candidate's own wait as the script answered it (-1 until a lease frees, -2 disabled) and its reason code.
   */
  | { type: 'wait'; waitMs: number | null; reason: string; each?: readonly { waitMs: number; why: string }[] }
  /** Every candidate is disabled. */
  | { type: 'blocked' };

/** The script's reason codes, as words for logs and statuses. */
const reasons: Readonly<Record<string, string>> = {
  cooldown: 'cooling down',
  r: 'requests per minute',
  i: 'input tokens per minute',
  o: 'output tokens per minute',
  t: 'tokens per minute',
  concurrency: 'concurrent requests',
};

export async function admitThroughRedis(
  redis: Redis,
  keys: Keys,
  candidates: readonly Candidate[],
  cost: CallCost,
  lease: { id: string; ttlMs: number },
): Promise<Admission> {
  const accountKeys = candidates.flatMap((candidate) => [
    keys.accountState(candidate.account.id),
    keys.accountLeases(candidate.account.id),
  ]);
  const args: (string | number)[] = [lease.id, lease.ttlMs, cost.inputTokens, cost.outputTokens, candidates.length];
  for (const candidate of candidates) args.push(candidate.rank, candidate.account.weight);
  const answer = await withScripts(redis).admitAccount(accountKeys.length, ...accountKeys, ...args);
  const status = Number(answer[0]);
  if (status === 1) {
    const candidate = candidates[Number(answer[1]) - 1];
    if (candidate === undefined) throw new Error(`admission answered candidate ${String(answer[1])} of ${candidates.length}`);
    return { type: 'admitted', account: candidate.account, leaseId: lease.id, charged: true, sequence: Number(answer[2]) };
  }
  if (status === -1) return { type: 'blocked' };
  const waitMs = Number(answer[1]);
  const each: { waitMs: number; why: string }[] = [];
  for (let index = 4; index + 1 < answer.length; index += 2) each.push({ waitMs: Number(answer[index]), why: String(answer[index + 1]) });
  return { type: 'wait', waitMs: waitMs < 0 ? null : waitMs, reason: reasonOf(String(answer[3])), each };
}

function reasonOf(code: string): string {
  return reasons[code] ?? code;
}

/**
 * Admission over a sample of the candidates (sampling.ts): at most `maxCallsPerAdmission` calls
 * of `sampleSize` accounts each, keeping what each answer says about the sampled accounts as
 * hints. Pools of up to `sampleSize` accounts send them all, as before.
 */
export async function admitSampled(
  redis: Redis,
  keys: Keys,
  candidates: readonly Candidate[],
  cost: CallCost,
  lease: { id: string; ttlMs: number },
  view: { cache: AccountCache; hints: RoomHints },
): Promise<Admission> {
  const groupOf = (accountId: string) => keys.accountGroupOf(accountId);
  const oneGroup = candidates.every((candidate) => groupOf(candidate.account.id) === groupOf((candidates[0] as Candidate).account.id));
  if (candidates.length <= sampleSize && oneGroup) return admitThroughRedis(redis, keys, candidates, cost, lease);
  const { cache, hints } = view;
  const tried = new Set<string>();
  let reason: string | null = null;
  for (let call = 0; call < maxCallsPerAdmission; call += 1) {
    const sample = sampleCandidates(candidates, cache, hints, tried, Date.now(), sampleSize, Math.random, groupOf);
    if (sample.length === 0) break;
    const admission = await admitThroughRedis(redis, keys, sample, cost, lease);
    if (admission.type === 'admitted') return admission;
    const now = Date.now();
    sample.forEach((candidate, index) => {
      tried.add(candidate.account.id);
      const own = admission.type === 'wait' ? admission.each?.[index] : { waitMs: -2, why: 'disabled' };
      if (own !== undefined) hints.noRoom(candidate.account.id, own.waitMs, own.why, now);
    });
    if (admission.type === 'wait') reason = admission.reason;
  }
  const now = Date.now();
  // An account this prompt did not get to may have room: ask again at once (the hints steer the next sample to it).
  if (sampleCandidates(candidates, cache, hints, new Set(), now, 1).length > 0)
    return { type: 'wait', waitMs: 0, reason: reason ?? reasonOf('r') };
  const soonest = soonestRoom(candidates, cache, hints, now);
  if (soonest === null) return { type: 'blocked' };
  return { type: 'wait', waitMs: soonest.waitMs, reason: reasonOf(soonest.why) };
}

/**
 * Smooth weighted round robin (as nginx does it) among the best-ranked usable candidates, for
 * pools whose accounts have no limits: every account gets its weight's share, evenly spread.
 */
export class LocalChooser {
  private readonly current = new Map<string, number>();

  choose(candidates: readonly Candidate[], cache: AccountCache, now = Date.now()): Admission {
    let anyEnabled = false;
    let soonest = Infinity;
    let bestRank = -Infinity;
    let ready: Candidate[] = [];
    for (const candidate of candidates) {
      const state = cache.get(candidate.account.id);
      if (state === undefined || state.disabledBy !== null) continue;
      anyEnabled = true;
      if (state.coolUntil > now) {
        soonest = Math.min(soonest, state.coolUntil - now);
        continue;
      }
      if (candidate.rank > bestRank) {
        bestRank = candidate.rank;
        ready = [candidate];
      } else if (candidate.rank === bestRank) {
        ready.push(candidate);
      }
    }
    if (!anyEnabled) return { type: 'blocked' };
    if (ready.length === 0) return { type: 'wait', waitMs: Math.ceil(soonest), reason: reasons.cooldown ?? 'cooling down' };
    let chosen = ready[0] as Candidate;
    if (ready.length > 1) {
      let total = 0;
      let best = -Infinity;
      for (const candidate of ready) {
        const weight = candidate.account.weight;
        const value = (this.current.get(candidate.account.id) ?? 0) + weight;
        this.current.set(candidate.account.id, value);
        total += weight;
        if (value > best) {
          best = value;
          chosen = candidate;
        }
      }
      this.current.set(chosen.account.id, best - total);
    }
    return { type: 'admitted', account: chosen.account, leaseId: null, charged: false, sequence: null };
  }
}
